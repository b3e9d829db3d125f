import { ShapeError } from '../core/errors.js';
import { normal } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { oneHot } from '../ops/activations.js';
import { matmul } from '../ops/linalg.js';
import { broadcastTo, concat, reshape } from '../ops/shape.js';
import { NO_STATE, requireLabels, type Ctx, type Layer, type NoState } from './layer.js';

export type LabelEmbeddingParams = Readonly<{ weight: Tensor }>;

/** Appends per-sample codes e `[N, D]` to x along axis 1, broadcast over any spatial axes. */
function appendCodes(x: Tensor, e: Tensor): Tensor {
  const n = x.shape[0]!;
  const spatial = x.shape.slice(2);
  const codes = spatial.length === 0 ? e : broadcastTo(reshape(e, [n, e.shape[1]!, ...spatial.map(() => 1)]), [n, e.shape[1]!, ...spatial]);
  return concat([x, codes], 1);
}

function outputShape(name: string, inputShape: readonly number[], dim: number): number[] {
  const c = inputShape[0];
  if (c === undefined) throw new ShapeError(`${name} needs an input [F] or [C, ...] per sample`, { input: inputShape });
  return [c + dim, ...inputShape.slice(1)];
}

/**
 * Class-conditioning by concatenation (Mirza & Osindero 2014; the class-conditional G of most
 * cGANs): a learned embedding e = table[y] `[N, dim]` of `ctx.labels` y is appended to x along
 * axis 1: z `[N, F] → [N, F + dim]`, or as constant planes `[N, C, H, W] → [N, C + dim, H, W]`.
 * The table `[classes, dim]` starts N(0, 1) (PyTorch's nn.Embedding). Needs `ctx.labels`.
 */
export function ConcatLabelEmbedding(classes: number, dim: number): Layer<LabelEmbeddingParams, NoState> {
  const name = `ConcatLabelEmbedding(${classes}, ${dim})`;
  return {
    name,
    init: (key, inputShape) => ({ params: { weight: normal(key, [classes, dim]) }, state: NO_STATE, outputShape: outputShape(name, inputShape, dim) }),
    apply(params, state, x, ctx: Ctx) {
      const labels = requireLabels(name, ctx, x.shape[0]!);
      return [appendCodes(x, matmul(oneHot(labels, classes), params.weight)), state];
    },
  };
}

/**
 * Concatenation conditioning with fixed one-hot codes (the conditional D of Mirza & Osindero,
 * and of CGAN-style image discriminators): `[N, F] → [N, F + classes]`, or `[N, C, H, W] →
 * [N, C + classes, H, W]` with one constant 0/1 plane per class. No params. Needs `ctx.labels`.
 */
export function ConcatOneHotLabels(classes: number): Layer<NoState, NoState> {
  const name = `ConcatOneHotLabels(${classes})`;
  return {
    name,
    init: (_key, inputShape) => ({ params: NO_STATE, state: NO_STATE, outputShape: outputShape(name, inputShape, classes) }),
    apply(_params, state, x, ctx: Ctx) {
      const labels = requireLabels(name, ctx, x.shape[0]!);
      return [appendCodes(x, oneHot(labels, classes)), state];
    },
  };
}
