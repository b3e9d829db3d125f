import assert from 'node:assert/strict';

/** The unit roundoff of float32. */
export const U = 2 ** -24;

/** |a|, elementwise: the operand of the bound's Σ|a||b|. */
export const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

/**
 * Asserts |got − want| ≤ 2·k·u·bound + 2u·|want| + tiny elementwise, where bound = Σ|a||b| for
 * that entry (the reference backend's result on |a| and |b|) and k the length of each dot
 * product: the forward error bound of a float32 dot product summed in any order, so a kernel
 * may block and reorder its sums. `who` names the backend in the message.
 */
export function assertWithinDotBound(opts: { got: Float32Array; want: Float32Array; bound: Float32Array; k: number; what: string; who: string }): void {
  const { got, want, bound, k, what, who } = opts;
  assert.equal(got.length, want.length, `${what}: length`);
  const gamma = 2 * Math.max(k, 1) * U * 1.01;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    const tol = gamma * bound[i]! + 1e-30 + Math.abs(want[i]!) * U * 2;
    if (!(err <= tol)) assert.fail(`${what}: index ${i}: ${who} ${got[i]} vs reference ${want[i]} (|err| ${err} > ${tol})`);
  }
}
