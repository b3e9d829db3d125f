import { ShapeError } from '../core/errors.js';
import { split } from '../core/random.js';
import { concat } from '../ops/shape.js';
import { anyDraws, childContexts, refreshState, type AnyLayer, type Layer } from './layer.js';

export type HeadsTree = Readonly<{ trunk: unknown; heads: readonly unknown[] }>;

/**
 * A shared trunk with several heads whose outputs are concatenated along axis 1:
 * x → φ = trunk(x), y = [head₀(φ) | head₁(φ) | …], `[N, ...in] → [N, Σ kᵢ]` for heads
 * `φ → [N, kᵢ]`. The layout of an ACGAN or InfoGAN discriminator: column 0 is the adversarial
 * logit (head₀ = Linear(1)), the next columns the auxiliary classifier's or the Q network's
 * outputs, which the training step slices apart. Params and state are `{ trunk, heads }`;
 * `refresh` refreshes every part.
 */
export function withHeads(trunk: AnyLayer, heads: readonly AnyLayer[]): Layer<HeadsTree, HeadsTree> {
  const name = `WithHeads(${trunk.name}; ${heads.map((h) => h.name).join(', ')})`;
  const layer: Layer<HeadsTree, HeadsTree> = {
    name,
    ...(anyDraws([trunk, ...heads]) ? { draws: true } : {}),
    init(key, inputShape) {
      const [kt, ...kh] = split(key, heads.length + 1);
      const t = trunk.init(kt!, inputShape);
      const hs = heads.map((h, i) => h.init(kh[i]!, t.outputShape));
      const bad = hs.findIndex((h) => h.outputShape.length !== 1);
      if (bad >= 0) throw new ShapeError(`${name}: head ${bad} must give a vector [k] per sample, got [${hs[bad]!.outputShape.join(', ')}]`, {});
      const width = hs.reduce((a, h) => a + h.outputShape[0]!, 0);
      return { params: { trunk: t.params, heads: hs.map((h) => h.params) }, state: { trunk: t.state, heads: hs.map((h) => h.state) }, outputShape: [width] };
    },
    apply(params, state, x, ctx) {
      const [ct, ...ch] = childContexts(ctx, heads.length + 1);
      const [phi, trunkState] = trunk.apply(params.trunk, state.trunk, x, ct!);
      const outs = heads.map((h, i) => h.apply(params.heads[i], state.heads[i], phi, ch[i]!));
      return [concat(outs.map((o) => o[0]), 1), { trunk: trunkState, heads: outs.map((o) => o[1]) }];
    },
  };
  if (trunk.refresh === undefined && heads.every((h) => h.refresh === undefined)) return layer;
  return {
    ...layer,
    refresh: (params, state) => ({
      trunk: refreshState(trunk, params.trunk, state.trunk),
      heads: heads.map((h, i) => refreshState(h, params.heads[i], state.heads[i])),
    }),
  };
}
