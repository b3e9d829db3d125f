import { ShapeError } from '../core/errors.js';
import { split } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Embedding, type EmbeddingParams } from './embedding.js';
import { refreshState, requireLabels, type Layer } from './layer.js';
import { Linear } from './linear.js';
import { spectralNorm } from './spectral_norm.js';

export type ProjectionHeadTree<L, E> = Readonly<{ linear: L; embed: E }>;

export type ProjectionHeadOptions = Readonly<{
  /** Spectral norm on the linear head and the class embedding, as SN-GAN's projection D. */
  spectralNorm?: boolean;
}>;

/**
 * The projection discriminator's head (Miyato & Koyama 2018): features φ(x) `[N, F]` (the
 * output of D's trunk) → logits `[N, 1]`, D(x, y) = ψ(φ) + ⟨V[y], φ⟩, with ψ a linear layer
 * `F → 1` and V `[classes, F]` a class embedding picked by `ctx.labels` y. Put it after the
 * trunk: `sequential(trunk, ProjectionHead(classes))`. Params and state are
 * `{ linear, embed }`; with `spectralNorm` both are spectrally normalised (refreshed once per
 * step). Needs `ctx.labels`.
 */
export function ProjectionHead(classes: number, opts: ProjectionHeadOptions = {}): Layer<ProjectionHeadTree<unknown, unknown>, ProjectionHeadTree<unknown, unknown>> {
  const name = `ProjectionHead(${classes})`;
  const sn = opts.spectralNorm === true;
  const linear = (sn ? spectralNorm(Linear(1)) : Linear(1)) as Layer<unknown, unknown>;
  const embed = (features: number) => (sn ? spectralNorm(Embedding(classes, features)) : Embedding(classes, features)) as Layer<unknown, unknown>;
  const head: Layer<ProjectionHeadTree<unknown, unknown>, ProjectionHeadTree<unknown, unknown>> = {
    name,
    init(key, inputShape) {
      if (inputShape.length !== 1) throw new ShapeError(`${name} expects features [F] per sample (flatten the trunk's output)`, { input: inputShape });
      const [kl, ke] = split(key);
      const l = linear.init(kl!, inputShape);
      const e = embed(inputShape[0]!).init(ke!, []);
      return { params: { linear: l.params, embed: e.params }, state: { linear: l.state, embed: e.state }, outputShape: [1] };
    },
    apply(params, state, phi, ctx) {
      if (phi.shape.length !== 2) throw new ShapeError(`${name} expects features [N, F]`, { actual: phi.shape });
      const [n, f] = phi.shape as [number, number];
      const labels = requireLabels(name, ctx, n);
      const [psi, linearState] = linear.apply(params.linear, state.linear, phi, ctx);
      const [v, embedState] = embed(f).apply(params.embed, state.embed, labels, ctx);
      const projection: Tensor = sum(mul(v, phi), { axis: 1, keepDims: true });
      return [add(psi, projection), { linear: linearState, embed: embedState }];
    },
  };
  if (!sn) return head;
  return {
    ...head,
    refresh: (params, state) => ({
      linear: refreshState(linear, params.linear, state.linear),
      embed: refreshState(embed((params.embed as EmbeddingParams).weight.shape[1]!), params.embed, state.embed),
    }),
  };
}
