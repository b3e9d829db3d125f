/** Test support (no tests of its own): elementwise closeness with a mixed tolerance. */
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/core/tensor.js';

/** |a − e| ≤ tol·(1 + |e|) for each element, naming the first index that is off. */
export function assertClose(actual: Tensor | ArrayLike<number> | number, expected: ArrayLike<number> | number, tol = 1e-6, what = 'value'): void {
  const a = typeof actual === 'number' ? [actual] : 'shape' in actual ? actual.data : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  assert.equal(a.length, e.length, `${what}: ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    const [x, y] = [a[i]!, e[i]!];
    assert.ok(Math.abs(x - y) <= tol * (1 + Math.abs(y)), `${what}[${i}] = ${x}, expected ${y} (tol ${tol})`);
  }
}
