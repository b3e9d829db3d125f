import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostJit as jit } from '../helpers/host_jit.js';
import { grad, stopGradient, valueAndGrad } from '../../src/autodiff/index.js';
import * as ops from '../../src/ops/index.js';
import { concrete } from '../../src/ops/dispatch.js';
import { item, tensor, type Tensor } from '../../src/core/tensor.js';
import { JitError } from '../../src/core/errors.js';
import { treeLeaves } from '../../src/core/pytree.js';
import { describeWithLoadedBackend, forEachBackend } from '../helpers/backends.js';
import { BatchNorm, Conv2d, Flatten, LeakyReLU, Linear, refreshState, sequential, spectralNorm, type AnyLayer } from '../../src/nn/index.js';
import { key, normal } from '../../src/core/random.js';
import { arbProgramCase, arbProgramCaseWith, bitsEqual, closeToScale, describeProgram, programSumScale, runProgram, usesApproximateMath, type Params, type Program } from '../helpers/programs.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';

const leavesAgree = (a: unknown, b: unknown, same: (x: Tensor, y: Tensor) => boolean): boolean => {
  const la = treeLeaves(a);
  const lb = treeLeaves(b);
  return la.length === lb.length && la.every((l, i) => (typeof l === 'number' ? l === lb[i] : same(l, lb[i] as Tensor)));
};
const leavesBitsEqual = (a: unknown, b: unknown): boolean => leavesAgree(a, b, bitsEqual);

/**
 * jit against eager: the same bits, except on the wasm backend where the program has a step it
 * approximates (see APPROXIMATE_STEPS), and always on the webgpu backend (its jitted graph runs
 * in WGSL, whose exp, log, division and square root are not correctly rounded, and its tiled
 * GEMM sums in another order): then within 2e-5 of each tensor's largest value + 1e-6 (for a
 * program's weighted sum, of Σ|terms|, which it can cancel far below).
 */
const agreeing = (backend: string) => (a: unknown, b: unknown, p?: Program, scale?: number): boolean =>
  backend === 'webgpu' || (backend === 'wasm' && (p === undefined || usesApproximateMath(p))) ? leavesAgree(a, b, (x, y) => closeToScale(x, y, { scale })) : leavesBitsEqual(a, b);

/** Random programs; on webgpu none of their values is below 1e-6 (SwiftShader flushes subnormals to zero). */
const programCases = (backend: string) => (backend === 'webgpu' ? arbProgramCaseWith({ minMagnitude: 1e-6 }) : arbProgramCase);

describeWithLoadedBackend('on the wasm backend with jitExactMath', () => loadWasmBackend({ jitExactMath: true, threads: 2 }), () => {
  it('jit(f) and jit(grad(f)) give the bits of the eager functions on random programs, approximated steps included', () => {
    fc.assert(
      fc.property(arbProgramCase, ({ p, inputs }) => {
        const f = (params: Params, x: Tensor): unknown => ({ y: runProgram(p, x, params), g: grad((q: Params) => runProgram(p, x, q))(params) });
        const jf = jit(f);
        for (const { x, params } of inputs) assert.ok(leavesBitsEqual(jf(params, x), f(params, x)), describeProgram(p));
      }),
      { numRuns: 60 },
    );
  });
});

forEachBackend((backend) => {
  const agree = agreeing(backend);
  const cases = programCases(backend);
  describe('jit(f) against f', () => {
    it('gives the bits of the eager function on random programs (wasm: within 2e-5 of the scale + 1e-6 where it approximates), on the tracing call and on a cached call with new values', () => {
      fc.assert(
        fc.property(cases, ({ p, inputs }) => {
          const f = (x: Tensor, params: Params): Tensor => runProgram(p, x, params);
          const jf = jit(f);
          for (const { x, params } of inputs) {
            // The program's weighted sum can cancel far below its terms: its error is relative to Σ|terms|.
            const scale = programSumScale(p, x, params);
            assert.ok(agree(jf(x, params), f(x, params), p, scale), describeProgram(p));
          }
          assert.equal(jf.stats().traces, 1);
        }),
        { numRuns: 60 },
      );
    });

    it('jit(grad(f)) gives the bits of grad(f) on random programs (wasm: within 2e-5 of the scale + 1e-6 where it approximates)', () => {
      fc.assert(
        fc.property(cases, ({ p, inputs }) => {
          const g = grad((params: Params, x: Tensor) => runProgram(p, x, params));
          const jg = jit(g);
          for (const { x, params } of inputs) assert.ok(agree(jg(params, x), g(params, x), p), describeProgram(p));
        }),
        { numRuns: 60 },
      );
    });

    it('grad(jit(f)) gives the bits of grad(f) (the graph is inlined under grad), tracing once', () => {
      fc.assert(
        fc.property(cases, ({ p, inputs }) => {
          const f = (params: Params, x: Tensor): Tensor => runProgram(p, x, params);
          const jf = jit(f);
          for (const { x, params } of inputs) assert.ok(leavesBitsEqual(grad(jf)(params, x), grad(f)(params, x)), describeProgram(p));
          assert.equal(jf.stats().traces, 1);
        }),
        { numRuns: 40 },
      );
    });

    it('a step with valueAndGrad and an update inside jit equals the eager step', () => {
      fc.assert(
        fc.property(cases, ({ p, inputs }) => {
          const step = (params: Params, x: Tensor): { params: Params; loss: Tensor } => {
            const [loss, g] = valueAndGrad((q: Params) => runProgram(p, x, q))(params);
            return { params: { w: ops.sub(params.w, ops.mul(g.w, 0.1)), b: ops.sub(params.b, ops.mul(g.b, 0.1)) }, loss };
          };
          const js = jit(step);
          for (const { x, params } of inputs) {
            const [got, want] = [js(params, x), step(params, x)];
            assert.ok(agree(got.params, want.params, p), describeProgram(p));
            assert.ok(agree(got.loss, want.loss, p, programSumScale(p, x, params)), `${describeProgram(p)}: the loss`);
          }
        }),
        { numRuns: 40 },
      );
    });

    it('second order inside jit (the gradient of a gradient penalty) equals eager', () => {
      fc.assert(
        fc.property(cases, ({ p, inputs }) => {
          const penalty = (params: Params, x: Tensor): Tensor => {
            const gx = grad((z: Tensor) => runProgram(p, z, params))(x);
            return ops.sum(ops.square(ops.sub(gx, 1)));
          };
          const g2 = grad(penalty);
          const jg2 = jit(g2);
          for (const { x, params } of inputs) assert.ok(agree(jg2(params, x), g2(params, x), p), describeProgram(p));
        }),
        { numRuns: 30 },
      );
    });

    it('a spectral-norm conv discriminator step (refresh, apply with batch norm, gradient) equals eager (wasm: within 2e-5 of the scale + 1e-6, softplus), on new data too', () => {
      const D = sequential(
        spectralNorm(Conv2d(4, { kernel: 3, stride: 2, padding: 1 })) as AnyLayer, BatchNorm() as AnyLayer, LeakyReLU(0.2),
        Flatten(), spectralNorm(Linear(1)) as AnyLayer,
      ) as AnyLayer;
      const { params, state } = D.init(key(0), [2, 6, 6]);
      const step = (p: unknown, s: unknown, x: Tensor): unknown => {
        const s1 = refreshState(D, p, s);
        const loss = (q: unknown): readonly [Tensor, unknown] => {
          const [y, s2] = D.apply(q, s1, x, { train: true });
          return [ops.mean(ops.softplus(ops.neg(y))), s2];
        };
        const [[value, s2], g] = valueAndGrad(loss, { hasAux: true })(p);
        return { value, g, s2 };
      };
      const js = jit(step);
      for (const seed of [1, 2]) {
        const x = normal(key(seed), [3, 2, 6, 6]);
        assert.ok(agree(js(params, state, x), step(params, state, x)));
      }
      assert.ok(js.lower(params, state, normal(key(1), [3, 2, 6, 6])).eqns.some((e) => e.prim === 'powerIteration'));
    });

    it('jit inside jit flattens into one graph and equals eager (wasm: within 2e-5 of the scale + 1e-6, tanh)', () => {
      const inner = jit((x: Tensor) => ops.tanh(ops.mul(x, 3)));
      const outer = jit((x: Tensor) => ops.sum(ops.add(inner(x), inner(ops.neg(x)))));
      const x = tensor([3], [0.1, -0.4, 2]);
      const eager = ops.sum(ops.add(ops.tanh(ops.mul(x, 3)), ops.tanh(ops.mul(ops.neg(x), 3))));
      assert.ok(agree(outer(x), eager));
      assert.ok(agree(outer(tensor([3], [1, 2, 3])), ops.sum(ops.add(ops.tanh(ops.mul(tensor([3], [1, 2, 3]), 3)), ops.tanh(ops.mul(tensor([3], [-1, -2, -3]), 3))))));
      assert.deepEqual(outer.lower(x).eqns.map((e) => e.prim), ['mul', 'tanh', 'neg', 'mul', 'tanh', 'add', 'sum']);
    });
  });
});

describe('stopGradient under jit', () => {
  const x1 = tensor([3], [1, -2, 3]);
  const x2 = tensor([3], [0.5, 4, -1]);
  const f = (x: Tensor): Tensor => ops.sum(ops.mul(x, stopGradient(x)));

  it('grad of x·stopGradient(x) inside jit is x (not 2x), on every call', () => {
    const jg = jit(grad(f));
    assert.deepEqual(Array.from(jg(x1).data), [1, -2, 3]);
    assert.deepEqual(Array.from(jg(x2).data), [0.5, 4, -1]);
  });

  it('stays an equation of the graph instead of baking the traced value in', () => {
    const jf = jit(f);
    jf(x1);
    assert.equal(item(jf(x2)), 0.25 + 16 + 1);
    assert.ok(jf.lower(x1).eqns.some((e) => e.prim === 'stopGradient'));
    assert.equal(jf.lower(x1).consts.length, 0);
  });

  it('still stops the gradient when the graph is replayed under grad (grad(jit(f)))', () => {
    const jf = jit(f);
    assert.deepEqual(Array.from(grad(jf)(x1).data), [1, -2, 3]);
    assert.deepEqual(Array.from(grad(jf)(x2).data), [0.5, 4, -1]);
  });
});

describe('the jit cache', () => {
  const x = tensor([2, 2], [1, 2, 3, 4]);

  it('runs the function body once for repeated calls with the same signature and new values', () => {
    let runs = 0;
    const jf = jit((a: Tensor) => {
      runs++;
      return ops.exp(a);
    });
    jf(x);
    jf(tensor([2, 2], [5, 6, 7, 8]));
    jf(x);
    assert.equal(runs, 1);
    assert.deepEqual(jf.stats(), { calls: 3, traces: 1, cached: 1, evicted: 0 });
  });

  it('keeps at most maxCached signatures, evicting the least recently used, which traces again when it comes back', () => {
    const traced: number[] = [];
    const jf = jit((a: Tensor) => {
      traced.push(a.shape[0]!);
      return ops.mul(a, 2);
    }, { maxCached: 2 });
    const of = (n: number): Tensor => tensor([n], new Float32Array(n).fill(1));
    jf(of(1));
    jf(of(2));
    jf(of(1)); // 1 is now the most recently used: 2 goes when 3 arrives
    jf(of(3));
    assert.deepEqual(jf.stats(), { calls: 4, traces: 3, cached: 2, evicted: 1 });
    assert.deepEqual(Array.from(jf(of(1)).data), [2]); // still cached
    assert.deepEqual(Array.from(jf(of(2)).data), [2, 2]); // traced again
    assert.deepEqual(traced, [1, 2, 3, 2]);
    assert.deepEqual(jf.stats(), { calls: 6, traces: 4, cached: 2, evicted: 2 });
    assert.throws(() => jit((a: Tensor) => a, { maxCached: 0 }), /maxCached must be a positive integer, got 0/);
  });

  it('retraces for a new shape, structure or number leaf, and says so once per retrace at debug level', () => {
    const messages: string[] = [];
    let runs = 0;
    const jf = jit(
      (a: { t: Tensor; s: number } | { t: Tensor; s: number; u: Tensor }) => {
        runs++;
        return ops.mul(a.t, a.s);
      },
      { name: 'scale', debug: (m) => messages.push(m) },
    );
    const a = jf({ t: x, s: 2 });
    jf({ t: x, s: 2 });
    const b = jf({ t: tensor([4], [1, 2, 3, 4]), s: 2 });
    const c = jf({ t: x, s: 3 });
    jf({ t: x, s: 2, u: x });
    jf({ t: x, s: 3 });
    assert.equal(runs, 4);
    assert.deepEqual(Array.from(a.data), [2, 4, 6, 8]);
    assert.deepEqual(b.shape, [4]);
    assert.deepEqual(Array.from(c.data), [3, 6, 9, 12]);
    assert.equal(messages.length, 4);
    assert.match(messages[0]!, /jit\(scale\): traced \(first call\)/);
    assert.match(messages[1]!, /args\[0\]\.t changed from float32\[2, 2\] to float32\[4\]/);
    assert.match(messages[2]!, /args\[0\]\.s changed from number 2 to number 3/);
    assert.match(messages[3]!, /structure changed/);
  });

  it('bakes closed-over tensors in as constants (a later reassignment is not seen)', () => {
    let c = tensor([2, 2], [1, 1, 1, 1]);
    const jf = jit((a: Tensor) => ops.add(a, c));
    jf(x);
    c = tensor([2, 2], [100, 100, 100, 100]);
    assert.deepEqual(Array.from(jf(x).data), [2, 3, 4, 5]);
    assert.equal(jf.lower(x).consts.length, 1);
  });

  it('keeps the result structure, with number leaves and constant tensors', () => {
    const k = tensor([1], [7]);
    const jf = jit((a: Tensor) => ({ y: ops.neg(a), n: 3, k, same: a }));
    jf(x);
    const r = jf(x);
    assert.deepEqual(Array.from(r.y.data), [-1, -2, -3, -4]);
    assert.equal(r.n, 3);
    assert.equal(r.k, k);
    assert.deepEqual(Array.from(r.same.data), [1, 2, 3, 4]);
  });

  it('prunes equations no output depends on', () => {
    const jf = jit((a: Tensor) => {
      ops.exp(a);
      return ops.neg(a);
    });
    assert.deepEqual(jf.lower(x).eqns.map((e) => e.prim), ['neg']);
  });
});

describe('errors inside jit', () => {
  const x = tensor([2], [1, -1]);
  const throwsNaming = (f: () => unknown, pattern: RegExp): void => {
    assert.throws(f, (e: unknown) => e instanceof JitError && pattern.test(e.message) && /jit\(/.test(e.message) && /where/.test(e.message));
  };

  it('reading .data of a traced value names the primitive that made it, jit and where', () => {
    throwsNaming(() => jit((a: Tensor) => (ops.exp(a).data[0]! > 1 ? a : ops.neg(a)))(x), /value computed by `exp`.*read through \.data/);
  });

  it('reading .data of an argument names the argument', () => {
    throwsNaming(() => jit((a: { w: Tensor }) => a.w.data)({ w: x }), /the input args\[0\]\.w/);
  });

  it('item() and concrete() are refused the same way', () => {
    throwsNaming(() => jit((a: Tensor) => item(ops.sum(a)))(x), /value computed by `sum`/);
    throwsNaming(() => jit((a: Tensor) => concrete(ops.tanh(a)))(x), /value computed by `tanh`.*concrete/);
  });

  it('JavaScript control flow on a traced value (a comparison) is refused', () => {
    throwsNaming(() => jit((a: Tensor) => ((ops.sum(a) as unknown as number) > 0 ? a : ops.neg(a)))(x), /`sum`.*converted to a number/);
  });

  it('closing over a tracer of an enclosing grad asks for it to be an argument', () => {
    assert.throws(
      () => grad((w: Tensor) => ops.sum(jit((a: Tensor) => ops.mul(a, w))(x)))(x),
      (e: unknown) => e instanceof JitError && /pass it as an argument/.test(e.message),
    );
  });
});
