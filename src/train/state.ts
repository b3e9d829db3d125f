import { split, type Key } from '../core/random.js';
import { scalar, type Tensor } from '../core/tensor.js';
import { resolveTrainConfig, type TrainConfig, type ValidTrainConfig } from './config.js';
import type { EmaState } from './ema.js';
import { initReplay, type ReplayState } from './replay.js';

/** One player's part of the train state: layer params, layer state (BN stats, SN vectors), optimiser state. */
export type PlayerState = Readonly<{ params: unknown; state: unknown; opt: unknown }>;

/**
 * Everything a training step reads and returns, as plain data (a pytree, no methods), in the
 * manner of flax's TrainState. `step` is a 0-d tensor counting completed iterations; every
 * leaf that changes from step to step is a tensor, so a traced step need not be retraced.
 */
export type TrainState = Readonly<{ step: Tensor; g: PlayerState; d: PlayerState; ema?: EmaState; replay?: ReplayState }>;

/**
 * The initial state: G initialised on its input shape `[latent.dim + InfoGAN codes]` and D on
 * `dataShape`, from two keys split from `key`; each optimiser's state from its player's params;
 * step 0; with EMA, `ema.params` = G's params; with replay, an empty buffer.
 * Throws the config's ConfigError if it is invalid.
 */
export function initTrainState(config: TrainConfig | ValidTrainConfig, key: Key): TrainState {
  const c = resolveTrainConfig(config);
  const [kg, kd] = split(key);
  const g = c.generator.init(kg!, [c.gInputDim]);
  const d = c.discriminator.init(kd!, c.dataShape);
  return {
    step: scalar(0),
    g: { params: g.params, state: g.state, opt: c.optimizers.g.init(g.params) },
    d: { params: d.params, state: d.state, opt: c.optimizers.d.init(d.params) },
    ...(c.techniques.ema ? { ema: { params: g.params } } : {}),
    ...(c.techniques.replay ? { replay: initReplay(c.techniques.replay.capacity, c.dataShape) } : {}),
  };
}
