import type { Tensor } from '../core/tensor.js';
import { resolveTrainConfig, type TrainConfig, type ValidTrainConfig } from './config.js';
import type { TrainState } from './state.js';

export type SampleOptions = Readonly<{
  /** Class ids `[N]` for a class-conditional G. */
  labels?: Tensor;
  /** Use the EMA params when the state has them (default true). */
  ema?: boolean;
}>;

/**
 * Samples G in evaluation mode: z `[N, G's input width]` → x `[N, ...dataShape]`. Uses the EMA
 * copy of G's params by default when the config keeps one. The EMA generator's layer state is
 * the live G's: batch-norm running statistics and SN vectors are not averaged (they are not
 * params, and averaging the statistics of different networks would describe none of them), so
 * the EMA params are normalised with the running statistics the live G accumulated. That is
 * close when the decay is high, since the EMA params trail the live ones slowly; for exact
 * statistics, run the EMA G in training mode over a few batches and keep its state (BigGAN's
 * "standing statistics").
 */
export function sampleGenerator(config: TrainConfig | ValidTrainConfig, state: TrainState, z: Tensor, opts: SampleOptions = {}): Tensor {
  const c = resolveTrainConfig(config);
  const params = opts.ema !== false && state.ema !== undefined ? state.ema.params : state.g.params;
  return c.generator.apply(params, state.g.state, z, { train: false, ...(opts.labels ? { labels: opts.labels } : {}) })[0];
}
