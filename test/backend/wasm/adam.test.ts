/**
 * The wasm `adamStep` kernel (assembly/adam.ts, driven by src/backend/wasm/adam.ts) against the
 * reference backend's loop, bit for bit: both round every f32 operation once, in the same
 * order, so any difference is a bug. Lengths with every remainder mod 4 exercise the scalar
 * tail; with two threads, totals above the split threshold are divided into element ranges.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadWasmBackend, type WasmBackend, type WasmVariant } from '../../../src/backend/wasm/index.js';
import { adamUpdateReference as reference } from '../../../src/backend/adam_step.js';
import type { AdamLeaf, AdamStepSpec } from '../../../src/backend/backend.js';
import { ShapeError } from '../../../src/core/errors.js';
import { mulberry } from '../../helpers/seeded.js';

/** Random leaves of the given lengths: params and gradients of either sign, v ≥ 0 (as a second moment is). */
function leavesOf(lengths: readonly number[], seed: number): AdamLeaf[] {
  const r = mulberry(seed);
  const arr = (n: number, f: () => number): Float32Array => Float32Array.from({ length: n }, f);
  return lengths.map((n) => ({
    param: arr(n, () => r() * 2 - 1),
    grad: arr(n, () => (r() - 0.5) * 10 ** (-6 * r())),
    m: arr(n, () => (r() - 0.5) * 1e-3),
    v: arr(n, () => r() * 10 ** (-12 * r())),
  }));
}

const arbSpec: fc.Arbitrary<AdamStepSpec> = fc.record({
  rule: fc.constantFrom('adam' as const, 'adamax' as const),
  b1: fc.constantFrom(0, 0.5, 0.9),
  b2: fc.constantFrom(0.9, 0.999),
  eps: fc.constantFrom(1e-8, 1e-4, 0),
  epsRoot: fc.constantFrom(0, 1e-8),
  weightDecay: fc.constantFrom(0, 0.01),
  decay: fc.constantFrom('none' as const, 'l2' as const, 'decoupled' as const),
  c1: fc.float({ min: Math.fround(0.05), max: 1, noNaN: true }),
  c2: fc.float({ min: Math.fround(1e-3), max: 1, noNaN: true }),
  lr: fc.constantFrom(2e-4, 1e-3, 0.1),
});

/** The index of the first element where a and b differ as float32 bit patterns (NaN = NaN), or −1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'lengths');
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const lengths = fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 300 })), { minLength: 1, maxLength: 6 });

for (const variant of ['simd', 'relaxed'] as WasmVariant[]) {
  for (const threads of [1, 2]) {
    describe(`wasm adamUpdate (${variant}, ${threads} thread${threads > 1 ? 's' : ''}) is bit-identical to the reference loop`, () => {
      let W: WasmBackend;
      before(async () => {
        W = await loadWasmBackend({ variant, threads });
      });
      after(async () => {
        await W.close();
      });

      it('on small leaves of every length mod 4, all hyperparameter modes', () => {
        fc.assert(
          fc.property(lengths, arbSpec, fc.integer(), (ls, spec, seed) => {
            const leaves = leavesOf(ls, seed);
            const i = firstDifference(W.adamUpdate(leaves, spec), reference(leaves, spec));
            assert.equal(i, -1, `first difference at packed index ${i}`);
          }),
          { numRuns: 60 },
        );
      });

      it('on a total large enough to be split across threads, with an odd tail', () => {
        fc.assert(
          fc.property(fc.integer({ min: 1 << 15, max: (1 << 16) + 7 }), fc.integer({ min: 0, max: 3 }), arbSpec, fc.integer(), (n, extra, spec, seed) => {
            const leaves = leavesOf([n, extra, 5], seed);
            const i = firstDifference(W.adamUpdate(leaves, spec), reference(leaves, spec));
            assert.equal(i, -1, `first difference at packed index ${i}`);
          }),
          { numRuns: 6 },
        );
      });

      it('writes into `out` when given one, and returns it', () => {
        const leaves = leavesOf([13, 4], 7);
        const spec: AdamStepSpec = { rule: 'adam', b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, weightDecay: 0, decay: 'none', c1: 0.1, c2: 0.001, lr: 1e-3 };
        const out = new Float32Array(3 * 17);
        assert.equal(W.adamUpdate(leaves, spec, out), out);
        assert.equal(firstDifference(out, reference(leaves, spec)), -1);
      });

      it('rejects a leaf whose arrays differ in length, naming it', () => {
        const [a, b] = leavesOf([4, 4], 1);
        const spec: AdamStepSpec = { rule: 'adam', b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, weightDecay: 0, decay: 'none', c1: 0.1, c2: 0.001, lr: 1e-3 };
        assert.throws(() => W.adamUpdate([a!, { ...b!, v: new Float32Array(3) }], spec), (e: unknown) => e instanceof ShapeError && /leaf 1/.test(e.message));
      });
    });
  }
}
