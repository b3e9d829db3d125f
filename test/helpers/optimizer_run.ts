/** Test support (no tests of its own): runs an optimiser for a few steps; compares its fused step with update + applyUpdates. */
import assert from 'node:assert/strict';
import { treeLeaves } from '../../src/core/pytree.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { applyUpdates, optimizerStep, type GradientTransformation } from '../../src/optim/transform.js';
import { mulberry } from './seeded.js';

/** The params after each update of `tx`, starting from `p0`, with the given gradients in turn. */
export function runSteps<S>(tx: GradientTransformation<S>, p0: Tensor, grads: readonly Tensor[]): Tensor[] {
  let p = p0;
  let s = tx.init(p);
  return grads.map((g) => {
    const [u, s2] = tx.update(g, s, p);
    s = s2;
    p = applyUpdates(p, u);
    return p;
  });
}

export type Tree = { layers: { w: Tensor; b: Tensor }[]; slope: number };

/** A params tree with odd-sized leaves and a number leaf (a constant of the model), from a seed. */
export function randomTree(dims: readonly number[], r: () => number, scale: number): Tree {
  const leaf = (shape: number[]): Tensor => tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() - 0.5) * scale));
  return { layers: dims.slice(1).map((d, i) => ({ w: leaf([d, dims[i]!]), b: leaf([d]) })), slope: 0.2 };
}

export const bitsOf = (tree: unknown): number[][] => treeLeaves(tree).map((l) => (typeof l === 'number' ? [l] : [...new Uint32Array(Float32Array.from(l.data).buffer)]));

/** Runs `steps` steps both ways from the same start; asserts params and state agree bit for bit after each. */
export function assertFusedMatchesComposed(make: (fused: boolean) => GradientTransformation<unknown>, dims: readonly number[], steps: number, seed: number): void {
  const r = mulberry(seed);
  const fused = make(true);
  const composed = make(false);
  assert.notEqual(fused.step, undefined, 'the fused optimiser has a step');
  assert.equal(composed.step, undefined, 'fused: false has none');
  let [pf, pc] = [randomTree(dims, r, 2), undefined as unknown as Tree];
  pc = pf;
  let [sf, sc] = [fused.init(pf), composed.init(pc)];
  for (let t = 1; t <= steps; t++) {
    const g = randomTree(dims, r, 10 ** (-1 - 6 * r()));
    const grads = { ...g, slope: 0 };
    [pf, sf] = optimizerStep(fused, { grads, state: sf, params: pf });
    [pc, sc] = optimizerStep(composed, { grads, state: sc, params: pc });
    assert.deepEqual(bitsOf(pf), bitsOf(pc), `params after step ${t}`);
    assert.deepEqual(bitsOf(sf), bitsOf(sc), `state after step ${t}`);
  }
  assert.equal(pf.slope, 0.2);
}

