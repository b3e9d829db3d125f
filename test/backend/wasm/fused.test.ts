/**
 * The wasm fused-group interpreter (assembly/fused.ts, programs from fused_program.ts), through
 * the wasm backend's graph compiler on one-group graphs: exact operations give the evaluation
 * rules' bits (special values, every operand pattern), approximate ones stay within their
 * stated ulp bounds of Math.*, and random chains agree with op-by-op runs, on every build.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadWasmBackend, type WasmBackend } from '../../../src/backend/wasm/index.js';
import { FUSIBLE } from '../../../src/backend/compile/fusible.js';
import { JS_ONLY, WASM_FUSED } from '../../../src/backend/wasm/fused_program.js';
import { referenceBackend } from '../../../src/backend/reference.js';
import { withBackend } from '../../../src/backend/current.js';
import type { Eqn, Graph } from '../../../src/backend/graph.js';
import { evaluateEqn, runOpByOp } from '../../../src/jit/execute.js';
import { jit } from '../../../src/jit/index.js';
import * as ops from '../../../src/ops/index.js';
import { sizeOf, tensor, type Tensor } from '../../../src/core/tensor.js';
import type { Primitive } from '../../../src/ops/primitives.js';
import { mulberry } from '../../helpers/seeded.js';

const ctx = { evaluate: evaluateEqn };
const builds: [string, WasmBackend][] = [
  ['simd', await loadWasmBackend({ variant: 'simd' })],
  ['relaxed', await loadWasmBackend({ variant: 'relaxed' })],
  ['simd-threads', await loadWasmBackend({ variant: 'simd', threads: 2 })],
  ['relaxed-threads', await loadWasmBackend({ variant: 'relaxed', threads: 2 })],
];
const wasm = builds[1]![1];
after(async () => {
  for (const [, b] of builds) await b.close();
});

/** A graph of one equation over inputs of the given shapes (its output shape `out`). */
function oneEqn(prim: Primitive, params: unknown, shapes: readonly (readonly number[])[], out: readonly number[]): Graph {
  const vars = [...shapes.map((shape) => ({ shape })), { shape: out }];
  const eqn = { prim, params, inputs: shapes.map((_, i) => i), out: shapes.length } as unknown as Eqn;
  return { vars, inputs: shapes.map((_, i) => i), consts: [], eqns: [eqn], outputs: [shapes.length] };
}

const bitsOf = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);
/** Bits of two arrays differ at the first returned index (−1: none). */
const firstBitDifference = (a: Float32Array, b: Float32Array): number => {
  const x = bitsOf(a), y = bitsOf(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : x.length;
};

/** The distance in representable float32 values (ulps) between a and b. */
function ulps(a: number, b: number): number {
  const ord = (x: number): number => {
    const v = new Int32Array(new Float32Array([x]).buffer)[0]!;
    return v >= 0 ? v : -2147483648 - v;
  };
  return Math.abs(ord(a) - ord(b));
}

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1, -1, 1e-45, -1e-45, 1e-38, -1e-38, 3.4e38, -3.4e38, 0.5, -0.5, 88.7, -88.7, 2, -3];

/** Random values with the specials mixed in, n of them. */
function values(n: number, seed: number, scale = 4): Float32Array {
  const r = mulberry(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? SPECIAL[(i / 3) % SPECIAL.length]! : (r() - 0.5) * 2 * scale));
}

describe('the opcode table', () => {
  it('gives every fusible primitive an opcode, or lists it as run by JavaScript loops', () => {
    for (const prim of Object.keys(FUSIBLE) as Primitive[]) assert.ok(WASM_FUSED[prim] !== undefined || JS_ONLY.has(prim), prim);
    for (const prim of Object.keys(WASM_FUSED) as Primitive[]) assert.ok(FUSIBLE[prim] !== undefined, `${prim} has an opcode but is not fusible`);
  });
});

const EXACT_PARAMS: Partial<Record<Primitive, unknown[]>> = {
  compare: ['gt', 'ge', 'lt', 'le', 'eq', 'ne'].map((op) => ({ op })),
  leakyRelu: [{ slope: 0 }, { slope: 0.2 }, { slope: 0.01 }, { slope: -1.5 }],
  leakyReluGrad: [{ slope: 0 }, { slope: 0.2 }],
};

describe('exact operations in the interpreter', () => {
  const exact = (Object.keys(WASM_FUSED) as Primitive[]).filter((p) => WASM_FUSED[p]!.exact && p !== 'stopGradient');
  // n = 11·151 = 1661 spans three full blocks of 512 and a partial one with a scalar tail; rows
  // and columns of the broadcasts start and end inside blocks.
  const shape = [11, 151];
  const patterns: [string, (readonly number[])[]][] = [
    ['same shape', [shape, shape, shape]],
    ['a scalar operand', [shape, [], shape]],
    ['a row broadcast', [shape, [151], shape]],
    ['a column broadcast', [shape, [11, 1], shape]],
  ];
  for (const prim of exact) {
    for (const params of EXACT_PARAMS[prim] ?? [null]) {
      it(`${prim}${params === null ? '' : ` ${JSON.stringify(params)}`} gives the evaluation rule's bits on special values, for every operand pattern`, () => {
        const arity = FUSIBLE[prim]!.arity;
        // (leakyReluGrad takes x and g of one shape)
        for (const [what, shapes] of prim === 'leakyReluGrad' ? patterns.slice(0, 1) : patterns) {
          const ins = shapes.slice(0, arity);
          const xs = ins.map((s, k) => tensor(s, values(sizeOf(s), 7 + k)));
          const g = oneEqn(prim, params, ins, shape);
          const compiled = wasm.compile!(g, ctx);
          assert.equal(compiled.profile.wasmGroups, 1, 'the group runs in the interpreter');
          const got = compiled.run(xs)[0]!.data;
          const want = evaluateEqn(g.eqns[0]!, xs).data;
          const at = firstBitDifference(got, want);
              assert.equal(at, -1, `${what}: element ${at}: ${got[at]} (0x${bitsOf(got)[at]?.toString(16)}) vs ${want[at]} (0x${bitsOf(want)[at]?.toString(16)}) (inputs ${xs.map((x) => x.data[at % x.data.length]).join(', ')})`);
        }
      });
    }
  }
});

/** Each approximate operation: its input range, and the ulp bound it keeps against the rule (Math.* rounded to f32). */
const APPROX: Record<string, { range: [number, number]; maxUlps: number }> = {
  exp: { range: [-103, 88.7], maxUlps: 1 },
  log: { range: [1e-30, 1e30], maxUlps: 1 },
  log1p: { range: [-0.999, 1e4], maxUlps: 2 },
  tanh: { range: [-12, 12], maxUlps: 1 },
  sigmoid: { range: [-100, 100], maxUlps: 2 },
  softplus: { range: [-100, 100], maxUlps: 2 },
};

describe('approximate operations in the interpreter', () => {
  for (const [prim, { range, maxUlps }] of Object.entries(APPROX)) {
    it(`${prim} is within ${maxUlps} ulp of the evaluation rule over [${range.join(', ')}] (uniform and log-spaced samples) and matches it on special values`, () => {
      const n = 1 << 16;
      const r = mulberry(11);
      const [lo, hi] = range;
      const xs = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const u = r();
        // Half uniform, half log-spaced in magnitude (the small arguments where relative accuracy is hardest), kept in range.
        const v = i % 2 === 0 ? lo + (hi - lo) * u : (r() < 0.5 ? -1 : 1) * Math.exp(u * 40 - 30);
        xs[i] = Math.min(hi, Math.max(lo, v));
      }
      const g = oneEqn(prim as Primitive, null, [[n]], [n]);
      const got = wasm.compile!(g, ctx).run([tensor([n], xs)])[0]!.data;
      const want = evaluateEqn(g.eqns[0]!, [tensor([n], xs)]).data;
      let worst = 0;
      let at = 0;
      for (let i = 0; i < n; i++) {
        const d = ulps(got[i]!, want[i]!);
        if (d > worst) [worst, at] = [d, i];
      }
      assert.ok(worst <= maxUlps, `${worst} ulp at x = ${xs[at]}: ${got[at]} vs ${want[at]}`);
      const sp = Float32Array.from(SPECIAL);
      const spGot = wasm.compile!(oneEqn(prim as Primitive, null, [[sp.length]], [sp.length]), ctx).run([tensor([sp.length], sp)])[0]!.data;
      const spWant = evaluateEqn(g.eqns[0]!, [tensor([sp.length], sp)]).data;
      sp.forEach((x, i) => {
        const [a, b] = [spGot[i]!, spWant[i]!];
        const ok = Number.isNaN(b) ? Number.isNaN(a) : !Number.isFinite(b) || b === 0 ? Object.is(a, b) : ulps(a, b) <= maxUlps;
        assert.ok(ok, `${prim}(${x}) = ${a}, the rule gives ${b}`);
      });
    });
  }
});

type Chain = { ops: { k: number; a: number; b: number; c: number }[]; rows: number; cols: number };
/** Chain steps over values h (all [rows, cols]); operands from earlier values, the scalar s, the row r or the column c. */
const STEPS: readonly (readonly [string, boolean, (a: Tensor, b: Tensor, c: Tensor) => Tensor])[] = [
  ['add', true, (a, b) => ops.add(a, b)],
  ['sub', true, (a, b) => ops.sub(a, b)],
  ['mul', true, (a, b) => ops.mul(a, b)],
  ['div by 1 + b²', true, (a, b) => ops.div(a, ops.add(1, ops.mul(b, b)))],
  ['maximum', true, (a, b) => ops.maximum(a, b)],
  ['where(a > b)', true, (a, b, c) => ops.where(ops.greater(a, b), b, c)],
  ['leakyRelu', true, (a) => ops.leakyRelu(a, 0.2)],
  ['sqrt |a|', true, (a) => ops.sqrt(ops.abs(a))],
  ['neg', true, (a) => ops.neg(a)],
  ['tanh', false, (a) => ops.tanh(a)],
  ['sigmoid', false, (a) => ops.sigmoid(a)],
  ['softplus', false, (a) => ops.softplus(a)],
  ['exp(a/4)', false, (a) => ops.exp(ops.div(a, 4))],
  ['log(1 + a²)', false, (a) => ops.log(ops.add(1, ops.mul(a, a)))],
];

const arbChain: fc.Arbitrary<Chain> = fc.record({
  rows: fc.integer({ min: 1, max: 9 }),
  cols: fc.integer({ min: 1, max: 70 }),
  ops: fc.array(fc.record({ k: fc.nat(STEPS.length - 1), a: fc.nat(), b: fc.nat(), c: fc.nat() }), { minLength: 1, maxLength: 8 }),
});

/** The chain as a function of x [rows, cols], s [], r [cols], c [rows, 1]: its last value, a column sum and a total of squares (no cancellation, so a relative tolerance holds). */
function runChain(ch: Chain, x: Tensor, s: Tensor, r: Tensor, c: Tensor): Tensor[] {
  const vals: Tensor[] = [x];
  const extra = [s, r, c];
  const pick = (i: number): Tensor => (i % 4 === 3 ? extra[i % 3]! : vals[i % vals.length]!);
  for (const o of ch.ops) vals.push(STEPS[o.k]![2](vals[o.a % vals.length]!, pick(o.b), pick(o.c)));
  const last = vals[vals.length - 1]!;
  return [last, ops.sum(last, { axis: 0 }), ops.sum(ops.mul(last, last))];
}

describe('random fused chains against op by op', () => {
  for (const [name, b] of builds) {
    it(`on the ${name} build: the bits of op by op for exact chains, within 4e-6 relative of the largest value otherwise`, () => {
      fc.assert(
        fc.property(arbChain, fc.integer(), (ch, seed) => {
          const shapes = [[ch.rows, ch.cols], [], [ch.cols], [ch.rows, 1]];
          const rand = mulberry(seed);
          const xs = shapes.map((s) => tensor(s, Float32Array.from({ length: sizeOf(s) }, () => (rand() - 0.5) * 4)));
          const g = withBackend(referenceBackend, () => jit((x: Tensor, s: Tensor, r: Tensor, c: Tensor) => runChain(ch, x, s, r, c)).lower(xs[0]!, xs[1]!, xs[2]!, xs[3]!));
          const got = withBackend(b, () => b.compile!(g, ctx).run(xs));
          const want = withBackend(referenceBackend, () => runOpByOp(g, xs));
          const exact = ch.ops.every((o) => STEPS[o.k]![1]);
          got.forEach((t, i) => {
            const w = want[i]!.data;
            if (exact) {
              const at = firstBitDifference(t.data, w);
              assert.equal(at, -1, `output ${i}, element ${at}: ${t.data[at]} vs ${w[at]}`);
              return;
            }
            const maxAbs = (xs: Float32Array): number => xs.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
            // The column sums may cancel: their scale is at least the summands'.
            const scale = Math.max(maxAbs(w), i === 1 ? maxAbs(want[0]!.data) : 0);
            t.data.forEach((v, j) => {
              const e = w[j]!;
              const ok = Number.isFinite(e) ? Math.abs(v - e) <= 4e-6 * scale + 1e-30 : Object.is(v, e) || (Number.isNaN(v) && Number.isNaN(e));
              assert.ok(ok, `output ${i}, element ${j}: ${v} vs ${e} (scale ${scale})`);
            });
          });
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('groups the interpreter does not run', () => {
  it('a group with pow runs as a JavaScript loop in the resident region and gives the bits of op by op', () => {
    const x = tensor([3, 100], values(300, 3, 2).map(Math.abs));
    const g = withBackend(referenceBackend, () => jit((a: Tensor) => ops.add(ops.pow(a, 0.75), ops.mul(a, 2))).lower(x));
    const compiled = wasm.compile!(g, ctx);
    assert.equal(compiled.profile.wasmGroups, 0);
    assert.equal(compiled.profile.groups, 1);
    assert.equal(firstBitDifference(compiled.run([x])[0]!.data, runOpByOp(g, [x])[0]!.data), -1);
  });

  it('with jitExactMath, a group with tanh runs as a JavaScript loop and gives the bits of op by op', async () => {
    const exact = await loadWasmBackend({ jitExactMath: true });
    try {
      const x = tensor([700], values(700, 5));
      const g = withBackend(referenceBackend, () => jit((a: Tensor) => ops.mul(ops.tanh(a), 3)).lower(x));
      const compiled = exact.compile!(g, ctx);
      assert.equal(compiled.profile.wasmGroups, 0);
      assert.equal(firstBitDifference(compiled.run([x])[0]!.data, runOpByOp(g, [x])[0]!.data), -1);
      assert.equal(wasm.compile!(g, ctx).profile.wasmGroups, 1, 'without the option it runs in the interpreter');
    } finally {
      await exact.close();
    }
  });
});
