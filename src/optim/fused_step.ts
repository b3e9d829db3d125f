import { currentBackend } from '../backend/current.js';
import { treeFlatten, treeUnflatten, type Leaf } from '../core/pytree.js';
import { scalar, sizeOf, type Tensor } from '../core/tensor.js';
import { adamUpdate, type AdamHyperparams } from '../ops/adam_update.js';
import { add, pow, sub, type TensorLike } from '../ops/elementwise.js';
import { reshape } from '../ops/shape.js';
import { applyUpdates, leafwise, type CountState, type GradientTransformation, type LearningRate } from './transform.js';

/**
 * The fused `step` of the Adam-family chains (`adam`, `adamw`, `adamL2`, `adamax`): the chain's
 * `update` + `applyUpdates` as one `adamUpdate` kernel call over every leaf, with the same
 * float32 rounding (bit-identical results) and the same next state.
 */

/** 1 − βᵗ for the 0-d step count t (≥ 1): the bias correction of a moment started at 0. */
export const biasCorrection = (decay: number, t: TensorLike): Tensor => sub(1, pow(decay, t));

/**
 * Where a chain keeps the optimiser's state `{ count, mu, [second] }` (its index in the chain's
 * state tuple, and the name of the second moment: Adam's `nu`, Adamax's `inf`) and the
 * learning-rate scale's `{ count }`.
 */
export type FusedLayout = Readonly<{ state: number; second: 'nu' | 'inf'; lrCount: number }>;

type MomentState = Readonly<{ count: Tensor; mu: unknown }> & Readonly<Record<'nu' | 'inf', unknown>>;

/** Falls back to update + applyUpdates when the current backend has no kernel. */
function fusedStep<S, P>(tx: GradientTransformation<S, P>, lr: LearningRate, hyper: AdamHyperparams, layout: FusedLayout): NonNullable<GradientTransformation<S, P>['step']> {
  return (grads, state, params) => {
    if (currentBackend().adamUpdate === undefined) {
      const [updates, next] = tx.update(grads, state, params);
      return [applyUpdates(params, updates), next];
    }
    const states = state as unknown as readonly unknown[];
    const s = states[layout.state] as MomentState;
    const lrCount = (states[layout.lrCount] as CountState).count;
    const count = add(s.count, 1);
    const r = typeof lr === 'number' ? lr : lr(lrCount);
    const rate = typeof r === 'number' ? scalar(r) : sizeOf(r.shape) === 1 ? reshape(r, []) : r;
    const ps: Tensor[] = [];
    const gs: Tensor[] = [];
    const ms: Tensor[] = [];
    const vs: Tensor[] = [];
    // leafwise checks the four trees' structures and shapes as the composed path does.
    leafwise(
      (g, m, v, p) => {
        gs.push(g);
        ms.push(m);
        vs.push(v);
        ps.push(p);
        return g;
      },
      grads,
      s.mu,
      s[layout.second],
      params,
    );
    const c1 = biasCorrection(hyper.b1, count);
    // Adamax has no second bias correction; the kernel ignores c2 then.
    const c2 = hyper.rule === 'adam' ? biasCorrection(hyper.b2, count) : c1;
    const out = adamUpdate({ params: ps, grads: gs, mu: ms, nu: vs }, { c1, c2, lr: rate }, hyper);
    const rebuild = <T>(tree: T, tensors: readonly Tensor[], numberLeaf: (l: number) => number): T => {
      const { leaves, treedef } = treeFlatten(tree);
      let i = 0;
      return treeUnflatten<T>(treedef, leaves.map((l): Leaf => (typeof l === 'number' ? numberLeaf(l) : tensors[i++]!)));
    };
    const next = [...states];
    next[layout.state] = { count, mu: rebuild(grads, out.mu, () => 0), [layout.second]: rebuild(grads, out.nu, () => 0) };
    next[layout.lrCount] = { count: add(lrCount, 1) } satisfies CountState;
    return [rebuild(params, out.params, (l) => l), next as unknown as S];
  };
}

/**
 * `tx` with the fused step, unless `opts.fused` is false. `opts` holds the chain's betas and
 * eps (defaults 0.9, 0.999, 1e-8, epsRoot 0, as `scaleByAdam`'s).
 */
export function withFusedStep<S, P>(
  tx: GradientTransformation<S, P>,
  o: Readonly<{
    lr: LearningRate;
    opts: Readonly<{ b1?: number; b2?: number; eps?: number; epsRoot?: number; fused?: boolean }>;
    rule?: AdamHyperparams['rule'];
    decay: AdamHyperparams['decay'];
    weightDecay: number;
    layout: FusedLayout;
  }>,
): GradientTransformation<S, P> {
  if (o.opts.fused === false) return tx;
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = o.opts;
  const hyper: AdamHyperparams = { rule: o.rule ?? 'adam', b1, b2, eps, epsRoot, decay: o.decay, weightDecay: o.weightDecay };
  return { ...tx, step: fusedStep(tx, o.lr, hyper, o.layout) };
}
