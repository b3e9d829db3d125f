/**
 * The WGSL fused Adam step (shaders/adam.ts, one dispatch per leaf) against the reference
 * loop (`adamUpdateReference`, float32 after every operation): eagerly through
 * `Backend.adamUpdate` on random leaves and every rule and decay, and jitted, as the fused
 * `adam` step of a training loop whose graph holds the `adamUpdate` primitive. WGSL's ÷ and √
 * may be off by a few ulp and the device may fuse a multiply-add, so the tolerance is relative:
 * 2⁻¹⁸ of the value's scale.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { adamUpdateReference } from '../../../../src/backend/adam_step.js';
import type { AdamLeaf, AdamStepSpec } from '../../../../src/backend/backend.js';
import { withBackend } from '../../../../src/backend/current.js';
import { referenceBackend } from '../../../../src/backend/reference.js';
import { materialize } from '../../../../src/core/device_tensor.js';
import { tensor, type Tensor } from '../../../../src/core/tensor.js';
import { jit } from '../../../../src/jit/index.js';
import { grad } from '../../../../src/autodiff/index.js';
import * as ops from '../../../../src/ops/index.js';
import { adam, adamax, adamw, optimizerStep } from '../../../../src/optim/index.js';
import { mulberry } from '../../../helpers/seeded.js';
import { assertClose } from '../../../helpers/assert_close.js';
import { webgpu, webgpuSkip } from '../../../helpers/webgpu.js';

const TOL = 2 ** -18;

const arbSpec: fc.Arbitrary<AdamStepSpec> = fc.record({
  rule: fc.constantFrom('adam' as const, 'adamax' as const),
  b1: fc.constantFrom(0, 0.5, 0.9),
  b2: fc.constantFrom(0.9, 0.999),
  eps: fc.constantFrom(1e-8, 1e-4),
  epsRoot: fc.constantFrom(0, 1e-8),
  weightDecay: fc.constantFrom(0, 0.01),
  decay: fc.constantFrom('none' as const, 'l2' as const, 'decoupled' as const),
  c1: fc.constantFrom(0.1, 0.5, 1),
  c2: fc.constantFrom(0.001, 0.1, 1),
  lr: fc.constantFrom(2e-4, 0.1),
});

function leavesOf(sizes: readonly number[], seed: number): AdamLeaf[] {
  const rnd = mulberry(seed);
  const arr = (n: number, scale: number, positive = false) => Float32Array.from({ length: n }, () => (positive ? rnd() : rnd() * 2 - 1) * scale);
  return sizes.map((n) => ({ param: arr(n, 2), grad: arr(n, 1), m: arr(n, 0.1), v: arr(n, 0.01, true) }));
}

describe('the WGSL fused Adam step', { skip: webgpuSkip }, () => {
  const W = webgpu!;

  it('Backend.adamUpdate gives the reference loop on random leaves, for every rule and decay', () => {
    fc.assert(
      fc.property(arbSpec, fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 }), fc.integer(), (spec, sizes, seed) => {
        const leaves = leavesOf(sizes, seed);
        const got = W.adamUpdate(leaves, spec);
        const want = adamUpdateReference(leaves, spec);
        assertClose(got, want, TOL, `${JSON.stringify(spec)} on leaves of ${sizes.join(', ')}`);
      }),
      { numRuns: 12 },
    );
  });

  it('a jitted training loop with the fused adam, adamw and adamax steps runs adamUpdate on the device and gives the reference after 5 steps', async () => {
    const x = tensor([4, 3], [0.5, -1, 0.25, 1, 0.5, -0.5, -0.25, 0.75, 1, 0, -1, 0.5]);
    type P = { w: Tensor; b: Tensor };
    const p0: P = { w: tensor([3, 2], [0.3, -0.2, 0.1, 0.4, -0.3, 0.2]), b: tensor([2], [0.1, -0.1]) };
    const loss = (p: P): Tensor => ops.mean(ops.square(ops.tanh(ops.add(ops.matmul(x, p.w), p.b))));
    for (const tx of [adam<P>(0.05, { b1: 0.5 }), adamw<P>(0.05, { weightDecay: 0.1 }), adamax<P>(0.05)]) {
      const step = jit((p: P, s: ReturnType<typeof tx.init>) => optimizerStep(tx, { grads: grad(loss)(p), state: s, params: p }));
      const run = (backend: typeof W | typeof referenceBackend) =>
        withBackend(backend, () => {
          let [p, s] = [p0, tx.init(p0)];
          for (let i = 0; i < 5; i++) [p, s] = step(p, s);
          return p;
        });
      assert.ok(withBackend(W, () => step.lower(p0, tx.init(p0))).eqns.some((e) => e.prim === 'adamUpdate'), 'the fused kernel is in the graph');
      const got = await materialize(run(W));
      const want = run(referenceBackend);
      assertClose(got.w, want.w.data, 1e-5, 'w');
      assertClose(got.b, want.b.data, 1e-5, 'b');
      assert.ok(Math.abs(got.b.data[0]! - p0.b.data[0]!) > 1e-3, 'the steps moved the params');
    }
  });
});
