/** Test support (no tests of its own): runs an optimiser for a few steps. */
import type { Tensor } from '../../src/core/tensor.js';
import { applyUpdates, type GradientTransformation } from '../../src/optim/transform.js';

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
