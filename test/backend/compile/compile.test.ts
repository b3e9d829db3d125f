import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileGraph } from '../../../src/backend/compile/compile.js';
import { accessOf, planGraph } from '../../../src/backend/compile/plan.js';
import { FUSIBLE } from '../../../src/backend/compile/fusible.js';
import { referenceBackend } from '../../../src/backend/reference.js';
import { loadWasmBackend } from '../../../src/backend/wasm/index.js';
import { withBackend } from '../../../src/backend/current.js';
import type { Graph } from '../../../src/backend/graph.js';
import { jit } from '../../../src/jit/index.js';
import { evaluateEqn, runOpByOp } from '../../../src/jit/execute.js';
import { grad } from '../../../src/autodiff/index.js';
import * as ops from '../../../src/ops/index.js';
import { convGeometry } from '../../../src/backend/geometry.js';
import { key, normal } from '../../../src/core/random.js';
import { sizeOf, tensor, type Tensor } from '../../../src/core/tensor.js';
import type { Primitive } from '../../../src/ops/primitives.js';
import { arbTensorOfShape } from '../../../src/testing/index.js';
import { arbProgramCase, bitsEqual, describeProgram, runProgram, type Params } from '../../helpers/programs.js';

const wasm = await loadWasmBackend({ threads: 1 });
const ctx = { evaluate: evaluateEqn };

/** The graph of f for these arguments, traced on the reference backend. */
const graphOf = <A extends unknown[]>(f: (...a: A) => unknown, ...args: A): Graph =>
  withBackend(referenceBackend, () => jit(f as (...a: never[]) => unknown).lower(...(args as unknown as never[])));

const tensorsOf = (args: unknown[]): Tensor[] =>
  args.flatMap((a) => (a !== null && typeof a === 'object' && 'shape' in a ? [a as Tensor] : Object.keys(a as object).sort().map((k) => (a as Record<string, Tensor>)[k]!)));

/** Compiled (given kernels, codegen on or off) and op-by-op runs of the same graph. */
function bothWays(g: Graph, inputs: Tensor[], opts: { kernels: typeof wasm | typeof referenceBackend; codegen?: boolean }): [Tensor[], Tensor[]] {
  const backend = opts.kernels === wasm ? wasm : referenceBackend;
  return withBackend(backend, () => [compileGraph(g, ctx, { kernels: opts.kernels, ...(opts.codegen === undefined ? {} : { codegen: opts.codegen }) }).run(inputs), runOpByOp(g, inputs)]);
}

const allBitsEqual = (a: Tensor[], b: Tensor[]): boolean => a.length === b.length && a.every((t, i) => bitsEqual(t, b[i]!));

/** Float32 values that stress each expression: signed zeros, infinities, NaN, subnormals, large and small. */
const arbSpecial = fc.oneof(
  fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1, -1, 1e-45, -1e-45, 3.4e38, -3.4e38, 0.5, 88.7, -88.7, 1e-8),
  fc.float({ noDefaultInfinity: true }),
);
/** (NaNs stored from JavaScript have a clear sign bit; see fusible.ts for the negative NaN of leakyRelu.) */
const arbVector = (n: number): fc.Arbitrary<Tensor> => fc.array(arbSpecial, { minLength: n, maxLength: n }).map((xs) => tensor([n], xs));

describe('the fusion table', () => {
  const fusible = Object.keys(FUSIBLE) as Primitive[];
  for (const prim of fusible) {
    it(`${prim} fused gives the bits of its evaluation rule, special values included`, () => {
      const rule = FUSIBLE[prim]!;
      const params = prim === 'compare' ? fc.constantFrom(...(['gt', 'ge', 'lt', 'le', 'eq', 'ne'] as const)).map((op) => ({ op })) : prim.startsWith('leaky') ? fc.constantFrom({ slope: 0.2 }, { slope: 0 }, { slope: 0.01 }) : fc.constant(null);
      fc.assert(
        fc.property(arbVector(16), arbVector(16), arbVector(16), params, (a, b, c, p) => {
          const inputs = [a, b, c].slice(0, rule.arity);
          // A chain of the primitive and a unary op, so the value also flows through a register.
          const g: Graph = {
            vars: [...inputs.map(() => ({ shape: [16] })), { shape: [16] }, { shape: [16] }],
            inputs: inputs.map((_, i) => i),
            consts: [],
            eqns: [
              { prim, params: p as never, inputs: inputs.map((_, i) => i), out: rule.arity },
              { prim: 'neg', params: null, inputs: [rule.arity], out: rule.arity + 1 },
            ],
            outputs: [rule.arity, rule.arity + 1],
          };
          const [fused, eager] = bothWays(g, inputs, { kernels: referenceBackend });
          assert.ok(allBitsEqual(fused, eager), `${prim} ${JSON.stringify(p)}: ${Array.from(fused[0]!.data)} vs ${Array.from(eager[0]!.data)}`);
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('operand access patterns', () => {
  it('classifies full, scalar and one-run broadcasts, and rejects two runs', () => {
    assert.deepEqual(accessOf([2, 3], [2, 3]), { kind: 'full' });
    assert.deepEqual(accessOf([], [2, 3]), { kind: 'scalar' });
    assert.deepEqual(accessOf([1, 1], [2, 3]), { kind: 'scalar' });
    assert.deepEqual(accessOf([3], [2, 3]), { kind: 'blocked', inner: 1, mid: 3 });
    assert.deepEqual(accessOf([4, 1, 1], [2, 4, 5, 6]), { kind: 'blocked', inner: 30, mid: 4 });
    assert.deepEqual(accessOf([2, 1], [2, 3]), { kind: 'blocked', inner: 3, mid: 2 });
    assert.equal(accessOf([4, 1, 6], [2, 4, 5, 6]), undefined);
    assert.equal(accessOf([3], [2, 4]), undefined);
  });

  it('every broadcast a binary op accepts gives the op-by-op bits, fused or not', () => {
    const arb = fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
      .chain((out) =>
        fc.record({
          out: fc.constant(out),
          small: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }).map((keep) => out.map((d, i) => (keep[i] ? d : 1))),
          lead: fc.integer({ min: 0, max: out.length }),
        }),
      )
      .chain(({ out, small, lead }) => fc.record({ x: arbTensorOfShape(out), y: arbTensorOfShape(small.slice(Math.min(lead, small.length - 1))) }));
    fc.assert(
      fc.property(arb, ({ x, y }) => {
        const g = graphOf((a: Tensor, b: Tensor) => ops.tanh(ops.sub(ops.mul(a, b), b)), x, y);
        const [fused, eager] = bothWays(g, [x, y], { kernels: referenceBackend });
        assert.ok(allBitsEqual(fused, eager));
      }),
      { numRuns: 100 },
    );
  });
});

describe('compiled graphs against op by op', () => {
  it('random programs and their gradients give the same bits with the same kernels (reference kernels)', () => {
    fc.assert(
      fc.property(arbProgramCase, ({ p, inputs }) => {
        const f = (params: Params, x: Tensor): unknown => ({ loss: runProgram(p, x, params), g: grad((q: Params) => runProgram(p, x, q))(params) });
        const { x, params } = inputs[0]!;
        const g = graphOf(f, params, x);
        const flat = tensorsOf([params, x]);
        const [fused, eager] = bothWays(g, flat, { kernels: referenceBackend });
        assert.ok(allBitsEqual(fused, eager), describeProgram(p));
      }),
      { numRuns: 60 },
    );
  });

  it('the same holds on the wasm kernels, and without code generation (the CSP fallback)', () => {
    fc.assert(
      fc.property(arbProgramCase, fc.boolean(), ({ p, inputs }, codegen) => {
        const f = (params: Params, x: Tensor): unknown => grad((q: Params) => runProgram(p, x, q))(params);
        const { x, params } = inputs[0]!;
        const g = graphOf(f, params, x);
        const [fused, eager] = bothWays(g, tensorsOf([params, x]), { kernels: wasm, codegen });
        assert.ok(allBitsEqual(fused, eager), describeProgram(p));
      }),
      { numRuns: 40 },
    );
  });

  it('a compiled wasm step matches the reference backend op by op within the reference tolerance (different GEMMs)', () => {
    fc.assert(
      fc.property(arbProgramCase, ({ p, inputs }) => {
        const f = (params: Params, x: Tensor): unknown => grad((q: Params) => runProgram(p, x, q))(params);
        const { x, params } = inputs[0]!;
        const g = graphOf(f, params, x);
        const flat = tensorsOf([params, x]);
        const fused = withBackend(wasm, () => compileGraph(g, ctx, { kernels: wasm }).run(flat));
        const oracle = withBackend(referenceBackend, () => runOpByOp(g, flat));
        fused.forEach((t, i) => {
          const r = oracle[i]!.data;
          const scale = r.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          t.data.forEach((v, j) => assert.ok(Math.abs(v - r[j]!) <= 1e-4 * (Math.abs(r[j]!) + 0.1 * scale) + 1e-6, `${describeProgram(p)}: ${v} vs ${r[j]}`));
        });
      }),
      { numRuns: 40 },
    );
  });
});

describe('fusion and buffer planning', () => {
  const geometry = convGeometry([2, 3, 6, 6], [4, 3, 3, 3], { stride: 1, padding: 1 });
  const conv = (x: Tensor, w: Tensor, b: Tensor): Tensor => ops.leakyRelu(ops.bind('conv2d', [x, w, b], { geometry }), 0.2);
  const cx = normal(key(1), [2, 3, 6, 6]);
  const cw = normal(key(2), [4, 3, 3, 3]);
  const cb = normal(key(3), [4]);

  it('fuses the conv bias, the activation that follows and the final sum into one loop after the kernel, in place in its output', () => {
    const g = graphOf((x: Tensor, w: Tensor, b: Tensor) => ops.sum(conv(x, w, b)), cx, cw, cb);
    const plan = planGraph(g);
    assert.deepEqual(
      plan.steps.map((s) => (s.kind === 'group' ? `group(${s.group.nodes.map((n) => n.prim).join(',')})` : `${s.kind}(${s.eqn.prim})`)),
      ['kernel(conv2d)', 'group(add,leakyRelu,sum)'],
    );
    const compiled = compileGraph(g, ctx, { kernels: wasm });
    // One buffer: the kernel's output, reused in place by the group.
    assert.equal(compiled.profile.residentBytes, 4 * 2 * 4 * 6 * 6);
    const [fused, eager] = bothWays(g, [cx, cw, cb], { kernels: wasm });
    assert.ok(allBitsEqual(fused, eager));
  });

  it('fuses linear bias + activation, and an Adam-like update into one group per parameter', () => {
    const w = normal(key(4), [5, 3]);
    const m = normal(key(5), [5, 3]);
    const v = ops.abs(normal(key(6), [5, 3]));
    const t = tensor([], [3]);
    const adam = (p: Tensor, gr: Tensor, m0: Tensor, v0: Tensor, count: Tensor): unknown => {
      const m1 = ops.add(ops.mul(m0, 0.9), ops.mul(gr, 0.1));
      const v1 = ops.add(ops.mul(v0, 0.999), ops.mul(ops.square(gr), 0.001));
      const mHat = ops.div(m1, ops.sub(1, ops.pow(0.9, count)));
      const vHat = ops.div(v1, ops.sub(1, ops.pow(0.999, count)));
      return { p: ops.sub(p, ops.div(ops.mul(mHat, 1e-3), ops.add(ops.sqrt(vHat), 1e-8))), m: m1, v: v1 };
    };
    const g = graphOf(adam, w, m, m, v, t);
    const plan = planGraph(g);
    const groups = plan.steps.filter((s) => s.kind === 'group');
    // The bias corrections are scalar ops of the count; everything of the parameter's shape is one loop.
    const big = groups.filter((s) => s.kind === 'group' && sizeOf(s.group.shape) === 15);
    assert.equal(big.length, 1);
    const [fused, eager] = bothWays(g, [w, m, m, v, t], { kernels: wasm });
    assert.ok(allBitsEqual(fused, eager));

    const x = normal(key(7), [4, 3]);
    const lb = normal(key(8), [5]);
    const lg = graphOf((a: Tensor, wt: Tensor, bb: Tensor) => ops.tanh(ops.leakyRelu(ops.linear(a, wt, bb), 0.2)), x, w, lb);
    assert.deepEqual(
      planGraph(lg).steps.map((s) => (s.kind === 'group' ? s.group.nodes.map((n) => n.prim).join(',') : s.kind)),
      ['kernel', 'add,leakyRelu,tanh'],
    );
  });

  it('fuses a sum over any axes whose kept axes are contiguous into the loop, with the bits of the evaluation rule', () => {
    const arb = fc
      .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
      .chain((shape) => fc.record({ x: arbTensorOfShape(shape, { min: -3, max: 3 }), axes: fc.subarray(shape.map((_, i) => i), { minLength: 1 }) }));
    let fusedCount = 0;
    fc.assert(
      fc.property(arb, ({ x, axes }) => {
        const g = graphOf((a: Tensor) => ops.sum(ops.tanh(ops.mul(a, 1.5)), { axis: axes }), x);
        const steps = planGraph(g).steps;
        if (steps.length === 1) fusedCount++;
        const [fused, eager] = bothWays(g, [x], { kernels: referenceBackend });
        assert.ok(allBitsEqual(fused, eager));
      }),
      { numRuns: 150 },
    );
    assert.ok(fusedCount > 50, `only ${fusedCount} of 150 sums were fused`);
  });

  it('returns fresh output arrays on every run (a later run does not overwrite an earlier result)', () => {
    const g = graphOf((x: Tensor, w: Tensor, b: Tensor) => ({ y: conv(x, w, b), s: ops.sum(conv(x, w, b)) }), cx, cw, cb);
    const compiled = compileGraph(g, ctx, { kernels: wasm });
    const first = compiled.run([cx, cw, cb]);
    const copy = first.map((t) => Float32Array.from(t.data));
    const second = compiled.run([ops.neg(cx), cw, cb]);
    first.forEach((t, i) => assert.deepEqual(t.data, copy[i]));
    assert.notEqual(first[0]!.data, second[0]!.data);
  });

  it('reuses intermediate buffers: a deep chain through kernels holds two slots, not one per value', () => {
    const w = normal(key(9), [8, 8]);
    const chain = (x: Tensor, wt: Tensor): Tensor => {
      let h = x;
      for (let i = 0; i < 6; i++) h = ops.tanh(ops.matmul(h, wt));
      return ops.sum(h);
    };
    const x = normal(key(10), [8, 8]);
    const compiled = compileGraph(graphOf(chain, x, w), ctx, { kernels: wasm });
    assert.equal(compiled.profile.residentBytes, 2 * 4 * 64);
    assert.equal(compiled.profile.freshBytes, 4);
    const [fused, eager] = bothWays(graphOf(chain, x, w), [x, w], { kernels: wasm });
    assert.ok(allBitsEqual(fused, eager));
  });
});
