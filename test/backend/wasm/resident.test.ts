/**
 * The wasm backend's graph compiler keeps a graph's tensors in linear memory (resident.ts):
 * inputs copied in once, outputs copied out once, intermediates in one planned region reused
 * by liveness — without mutating inputs, clobbering live values, or breaking when memory grows
 * in the middle of a run or another graph uses the region in between.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadWasmBackend } from '../../../src/backend/wasm/index.js';
import { referenceBackend } from '../../../src/backend/reference.js';
import { withBackend } from '../../../src/backend/current.js';
import type { Graph } from '../../../src/backend/graph.js';
import { evaluateEqn, runOpByOp } from '../../../src/jit/execute.js';
import { jit } from '../../../src/jit/index.js';
import { MIN_SPLIT_ELEMENTS } from '../../../src/backend/wasm/resident.js';
import * as ops from '../../../src/ops/index.js';
import { sizeOf, tensor, type Tensor } from '../../../src/core/tensor.js';
import { mulberry } from '../../helpers/seeded.js';

const ctx = { evaluate: evaluateEqn };
const wasm = await loadWasmBackend({ variant: 'relaxed' });
const threaded = await loadWasmBackend({ variant: 'relaxed', threads: 2 });
after(async () => {
  await wasm.close();
  await threaded.close();
});

const lower = <A extends Tensor[]>(f: (...a: A) => unknown, ...args: A): Graph =>
  withBackend(referenceBackend, () => jit(f as (...a: never[]) => unknown).lower(...(args as unknown as never[])));

const rand = (shape: readonly number[], seed: number, scale = 1): Tensor => {
  const r = mulberry(seed);
  return tensor(shape, Float32Array.from({ length: sizeOf(shape) }, () => (r() - 0.5) * 2 * scale));
};

const sameBits = (a: Tensor, b: Tensor): boolean => {
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  return a.data.length === b.data.length && x.every((v, i) => v === y[i]);
};

/** Op by op on the wasm backend: the same kernels and rules, one equation at a time. */
const eagerOn = (b: typeof wasm, g: Graph, xs: Tensor[]): Tensor[] => withBackend(b, () => runOpByOp(g, xs));

describe('inputs and outputs', () => {
  it('never writes into the caller\'s input arrays, even where a fused group writes over a dying operand', () => {
    // relu(x)·2 + 1 dies into its own buffer; x @ w reads x first. Every value is the size of x.
    const f = (x: Tensor, w: Tensor): Tensor[] => [ops.add(ops.mul(ops.relu(ops.matmul(ops.add(x, 1), w)), 2), x)];
    const x = rand([16, 16], 1);
    const w = rand([16, 16], 2);
    const before = [Float32Array.from(x.data), Float32Array.from(w.data)];
    const g = lower(f, x, w);
    const compiled = wasm.compile!(g, ctx);
    const y = compiled.run([x, w]);
    assert.deepEqual(x.data, before[0]);
    assert.deepEqual(w.data, before[1]);
    assert.ok(sameBits(y[0]!, eagerOn(wasm, g, [x, w])[0]!));
  });

  it('returns fresh arrays on every run: a later run does not change an earlier result', () => {
    const g = lower((x: Tensor) => [ops.tanh(ops.mul(x, 3)), ops.sum(x)], rand([5, 7], 3));
    const compiled = wasm.compile!(g, ctx);
    const first = compiled.run([rand([5, 7], 4)]);
    const copy = first.map((t) => Float32Array.from(t.data));
    compiled.run([rand([5, 7], 5)]);
    first.forEach((t, i) => assert.deepEqual(t.data, copy[i]));
  });

  it('copies each input in once and each output out once per run, and allocates only the outputs', () => {
    // Two kernels and two fused groups: nothing in between crosses the boundary.
    const f = (x: Tensor, w: Tensor, b: Tensor): Tensor[] => [ops.sum(ops.tanh(ops.add(ops.matmul(ops.relu(ops.matmul(x, w)), w), b)))];
    const g = lower(f, rand([8, 32], 1), rand([32, 32], 2), rand([32], 3));
    const p = wasm.compile!(g, ctx).profile;
    assert.equal(p.boundaryCopies, 4);
    assert.equal(p.freshBytes, 4);
    assert.equal(p.passes, 4);
  });

  it('returns an input that is an output as it is, and a reshaped input by copy', () => {
    const x = rand([2, 6], 9);
    const g = lower((a: Tensor) => [a, ops.reshape(a, [3, 4])], x);
    const [same, reshaped] = wasm.compile!(g, ctx).run([x]);
    assert.equal(same, x);
    assert.deepEqual(reshaped!.shape, [3, 4]);
    assert.deepEqual(reshaped!.data, x.data);
  });
});

describe('the resident region', () => {
  it('reuses places by liveness without clobbering a live value: a value kept across a chain of same-size kernels and groups', () => {
    // keep is written first and read last; between them every value has its size, and each
    // kernel's operand dies at the kernel (a kernel may not write over its own operand).
    const f = (x: Tensor, w: Tensor): Tensor[] => {
      const keep = ops.mul(x, 3);
      let h = x;
      for (let i = 0; i < 12; i++) h = ops.tanh(ops.matmul(h, w));
      return [ops.add(h, keep)];
    };
    const x = rand([32, 32], 6);
    const w = rand([32, 32], 7, 0.3);
    const g = lower(f, x, w);
    const compiled = wasm.compile!(g, ctx);
    const values = g.eqns.length * 32 * 32 * 4;
    assert.ok(compiled.profile.residentBytes < values / 3, `${compiled.profile.residentBytes} resident bytes for ${values} bytes of values`);
    const got = compiled.run([x, w])[0]!;
    const want = withBackend(referenceBackend, () => runOpByOp(g, [x, w]))[0]!;
    got.data.forEach((v, i) => assert.ok(Math.abs(v - want.data[i]!) <= 1e-5 * (1 + Math.abs(want.data[i]!)), `element ${i}: ${v} vs ${want.data[i]}`));
  });

  it('keeps working when another graph used the region in between (constants and programs are rewritten)', () => {
    const x = rand([300], 8);
    const g1 = lower((a: Tensor) => [ops.add(ops.mul(a, 2), 1)], x);
    const g2 = lower((a: Tensor) => [ops.sub(ops.mul(a, 5), 3), ops.sum(ops.mul(a, a))], x);
    const c1 = wasm.compile!(g1, ctx);
    const c2 = wasm.compile!(g2, ctx);
    for (let round = 0; round < 2; round++) {
      assert.ok(sameBits(c1.run([x])[0]!, eagerOn(wasm, g1, [x])[0]!), `round ${round}, g1`);
      c2.run([x]).forEach((t, i) => assert.ok(sameBits(t, eagerOn(wasm, g2, [x])[i]!), `round ${round}, g2 output ${i}`));
      // An eager kernel in between uses the bump arena above the region.
      wasm.gemm(rand([64, 64], 1).data, rand([64, 64], 2).data, { m: 64, n: 64, k: 64, transA: false, transB: false });
    }
  });

  for (const threads of [1, 2]) {
    it(`survives memory growth in the middle of a run (${threads} thread${threads > 1 ? 's' : ''}): a convolution's scratch grows memory, the groups after it still see their values`, async () => {
      const b = await loadWasmBackend({ variant: 'relaxed', threads });
      try {
        // x [8, 16, 32, 32]: the im2col chunk (4 MiB) does not fit in memory as it is after the
        // region is planned, so the conv grows memory; relu, the bias and sums follow.
        const x = rand([8, 16, 32, 32], 10);
        const w = rand([16, 16, 3, 3], 11, 0.2);
        const bias = rand([16], 12);
        const f = (a: Tensor, k: Tensor, c: Tensor): Tensor[] => {
          const y = ops.relu(ops.conv2d(a, k, c, { padding: 1 }));
          return [ops.sum(y, { axis: [0, 2, 3] }), ops.mul(y, 0.5)];
        };
        const g = lower(f, x, w, bias);
        const compiled = b.compile!(g, ctx);
        const afterCompile = b.memoryBytes();
        const got = compiled.run([x, w, bias]);
        assert.ok(b.memoryBytes() > afterCompile, `memory did not grow during the run (${afterCompile} bytes)`);
        const want = eagerOn(b, g, [x, w, bias]);
        got.forEach((t, i) => assert.ok(sameBits(t, want[i]!), `output ${i}`));
      } finally {
        await b.close();
      }
    });
  }

  it('gives the same bits on two threads as on one (a GEMM-heavy graph whose GEMMs are split)', () => {
    const f = (x: Tensor, w: Tensor, v: Tensor): Tensor[] => [ops.leakyRelu(ops.matmul(ops.relu(ops.matmul(x, w)), v), 0.2)];
    const args: [Tensor, Tensor, Tensor] = [rand([128, 256], 1), rand([256, 256], 2, 0.1), rand([256, 64], 3, 0.1)];
    const g = lower(f, ...args);
    assert.ok(sameBits(threaded.compile!(g, ctx).run(args)[0]!, wasm.compile!(g, ctx).run(args)[0]!));
    assert.ok(sameBits(threaded.compile!(g, ctx).run(args)[0]!, eagerOn(threaded, g, args)[0]!));
  });
});

describe('fused groups split across threads', () => {
  it('give the same bits on two threads as on one and as op by op: a large group with scalar, row and channel broadcasts, written over a dying operand', () => {
    // [10, 96, 13, 11] = 137,280 elements (over the split threshold, not a whole number of blocks):
    // x·s + b[c] (blocked, inner 143), − r[w] (blocked, inner 1), leakyRelu, where, tanh.
    const f = (x: Tensor, y: Tensor, s: Tensor, b: Tensor, r: Tensor): Tensor[] => {
      const z = ops.sub(ops.add(ops.mul(ops.add(x, y), s), ops.reshape(b, [96, 1, 1])), r);
      return [ops.where(ops.greater(z, 0), ops.tanh(z), ops.leakyRelu(z, 0.2)), ops.mul(z, z)];
    };
    const args: Tensor[] = [rand([10, 96, 13, 11], 1), rand([10, 96, 13, 11], 2), tensor([], [1.5]), rand([96], 3), rand([11], 4)];
    assert.ok(10 * 96 * 13 * 11 >= MIN_SPLIT_ELEMENTS);
    const g = lower(f as (...a: Tensor[]) => Tensor[], ...args);
    const one = wasm.compile!(g, ctx).run(args);
    const two = threaded.compile!(g, ctx).run(args);
    const want = eagerOn(wasm, g, args);
    two.forEach((t, i) => {
      assert.ok(sameBits(t, one[i]!), `output ${i}: two threads against one`);
    });
    // tanh is a polynomial in the interpreter: the other outputs are exact operations only.
    assert.ok(sameBits(two[1]!, want[1]!));
  });

  it('give the same bits on two threads as on one and as op by op with bias-gradient sums (each thread owning a run of channels)', () => {
    // Sums over [0, 2, 3] of [26, 64, 9, 9] (64 accumulators of runs of 81) and over [0] of [160, 1024]
    // (1024 accumulators of runs of 1), each in a group with full-size stores; and a loss summed
    // to a scalar, whose group stays on the calling thread.
    const f = (x: Tensor, y: Tensor, a: Tensor, b: Tensor): Tensor[] => {
      const z = ops.mul(ops.leakyRelu(x, 0.2), y);
      const w = ops.sub(ops.mul(a, b), a);
      return [z, ops.sum(z, { axis: [0, 2, 3] }), w, ops.sum(w, { axis: 0 }), ops.sum(ops.mul(x, x))];
    };
    const args: Tensor[] = [rand([26, 64, 9, 9], 5), rand([26, 64, 9, 9], 6), rand([160, 1024], 7), rand([160, 1024], 8)];
    assert.ok(Math.min(26 * 64 * 81, 160 * 1024) >= MIN_SPLIT_ELEMENTS);
    const g = lower(f as (...a: Tensor[]) => Tensor[], ...args);
    const two = threaded.compile!(g, ctx).run(args);
    const one = wasm.compile!(g, ctx).run(args);
    const want = eagerOn(wasm, g, args);
    two.forEach((t, i) => {
      assert.ok(sameBits(t, one[i]!), `output ${i}: two threads against one`);
      assert.ok(sameBits(t, want[i]!), `output ${i}: against op by op`);
    });
  });
});

describe('the fused Adam step in the region', () => {
  const hyper = { rule: 'adam', b1: 0.5, b2: 0.9, eps: 1e-8, epsRoot: 0, decay: 'none', weightDecay: 0 } as const;
  /** Leaves of `sizes` elements: params, grads, first and second moments (v ≥ 0), then c1, c2 and lr as 0-d tensors. */
  const adamArgs = (sizes: readonly number[]): Tensor[] => [
    ...sizes.map((n, i) => rand([n], 10 + i)),
    ...sizes.map((n, i) => rand([n], 20 + i)),
    ...sizes.map((n, i) => rand([n], 30 + i, 0.1)),
    ...sizes.map((n, i) => tensor([n], rand([n], 40 + i).data.map(Math.abs))),
    tensor([], [0.75]),
    tensor([], [0.19]),
    tensor([], [2e-3]),
  ];
  /** The step as a train step writes it: every part guarded by where(finite, new, old), plus one part read by a matmul (a view at a nonzero offset feeding a kernel). */
  const step = (k: number) => (...a: Tensor[]): Tensor[] => {
    const [c1, c2, lr] = a.slice(4 * k) as [Tensor, Tensor, Tensor];
    const leaves = { params: a.slice(0, k), grads: a.slice(k, 2 * k), mu: a.slice(2 * k, 3 * k), nu: a.slice(3 * k, 4 * k) };
    const out = ops.adamUpdate(leaves, { c1, c2, lr }, hyper);
    const finite = ops.equal(ops.sub(c1, c1), 0);
    const guarded = [...out.params, ...out.mu, ...out.nu].map((t, i) => ops.where(finite, t, a[i]!));
    const last = out.nu[k - 1]!;
    return [...guarded, ops.matmul(ops.reshape(last, [1, sizeOf(last.shape)]), ops.reshape(out.mu[k - 1]!, [sizeOf(last.shape), 1]))];
  };

  it('gives the reference backend\'s bits with its operands read in place and its parts as views (nothing but inputs and outputs crosses the boundary)', () => {
    const sizes = [37, 64, 5];
    const args = adamArgs(sizes);
    const g = lower(step(sizes.length), ...args);
    const compiled = wasm.compile!(g, ctx);
    const want = withBackend(referenceBackend, () => runOpByOp(g, args));
    compiled.run(args).forEach((t, i) => assert.ok(sameBits(t, want[i]!), `output ${i}`));
    assert.equal(compiled.profile.boundaryCopies, args.length + want.length);
  });

  it('gives the same bits on two threads, its large leaves split in element ranges, as the reference backend', () => {
    const sizes = [3 * 2 ** 15 + 3, 101, 2 ** 16];
    const args = adamArgs(sizes);
    const g = lower(step(sizes.length), ...args);
    const want = withBackend(referenceBackend, () => runOpByOp(g, args));
    // The matmul's k = 2¹⁶ sum is split differently from the reference loop's: it is checked against the same backend op by op.
    want[want.length - 1] = eagerOn(threaded, g, args).at(-1)!;
    threaded.compile!(g, ctx).run(args).forEach((t, i) => assert.ok(sameBits(t, want[i]!), `output ${i}`));
  });
});
