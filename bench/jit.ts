/**
 * What `jit` buys on a GAN training step: passes over memory, bytes allocated per step, copies
 * across the wasm boundary, the trace and compile time, and the step time eager, jitted with the
 * JavaScript compiler (`compile/compile.ts`: fused JS loops, every kernel copying in and out —
 * "jit-js") and jitted with the wasm backend's own compiler (tensors resident in linear memory,
 * fused groups in the SIMD interpreter — "jit"), interleaved in one run.
 *
 *   mlp:   G: z[64, 32] → Linear(128) → ReLU → Linear(784) → tanh;  D: Linear(128) → LeakyReLU(0.2) → Linear(1)
 *   dcgan: the benchmark GAN (the performance issue's model):
 *          G: z[64] → Linear(128·7·7) → ReLU → reshape (128, 7, 7) → ConvTranspose2d(128→64, k4 s2 p1) → ReLU
 *             → ConvTranspose2d(64→1, k4 s2 p1) → tanh
 *          D: Conv2d(1→64, k4 s2 p1) → LeakyReLU(0.2) → Conv2d(64→128, k4 s2 p1) → LeakyReLU(0.2) → flatten → Linear(6272, 1)
 *   gauss: the 8-Gaussians MLP GAN (issue 13): G and D 2 → 128 → 128 → out (ReLU in G, LeakyReLU(0.2) in D), batch 256
 * All: batch 64 (gauss 256), one D step then one G step, hinge loss, `optim.adam(2e-4, { b1: 0, b2: 0.9 })`
 * (a step built from ops only, latents and data passed in).
 *
 * `--breakdown` adds, per model, where the time goes: eager (backend kernels, the optimiser's
 * update calls, the rest = dispatch, autodiff and the JavaScript elementwise rules) and jitted
 * (`compileTimed`: copies, kernels, fused groups, update groups, evaluation rules, the rest =
 * the executor's own overhead), against the step's GEMM/conv flops at the measured peak.
 *
 *   train: the same DCGAN through the project's own step, `train.makeTrainCore` (hinge, Adam as
 *          above; latents drawn outside with `drawRandomness`), jitted as a whole.
 *
 *     node dist/bench/jit.js [--json] [--quick] [--model mlp --model dcgan --model gauss --model train] [--threads 1] [--breakdown]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { loadWasmBackend } from '../src/backend/wasm/index.js';
import { referenceBackend } from '../src/backend/reference.js';
import { currentBackend, useBackend, withBackend } from '../src/backend/current.js';
import type { Backend, ConvGeometry } from '../src/backend/backend.js';
import type { Graph } from '../src/backend/graph.js';
import { compileGraph } from '../src/backend/compile/compile.js';
import { KERNEL_PRIMITIVES } from '../src/backend/compile/fusible.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import type { StepTimer } from '../src/backend/wasm/resident.js';
import { treeLeaves } from '../src/core/pytree.js';

const currentBackendDescription = (): string => currentBackend().description;
import { key, normal, split } from '../src/core/random.js';
import { sizeOf, type Tensor } from '../src/core/tensor.js';
import { adam, applyUpdates } from '../src/optim/index.js';
import * as ops from '../src/ops/index.js';
import { stopGradient, valueAndGrad } from '../src/autodiff/index.js';
import { LeakyReLU, Linear, ReLU, Tanh, sequential, type AnyLayer } from '../src/nn/index.js';
import { benchmarkGanConfig } from './helpers/benchmark_gan.js';
import { jit } from '../src/jit/index.js';
import { drawRandomness, initTrainState, makeTrainCore, validateTrainConfig, type TrainConfig } from '../src/train/index.js';
import * as E from 'fp-ts/lib/Either.js';
import { evaluateEqn, opByOpProfile } from '../src/jit/execute.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    model: { type: 'string', multiple: true },
    threads: { type: 'string', default: '1' },
    breakdown: { type: 'boolean', default: false },
  },
  strict: true,
});

/** One network's params, (unchanging: no batch norm here) layer state and optimiser state. */
type Net = { params: unknown; state: unknown; opt: unknown };
type State = { g: Net; d: Net };

/** Adam(2e-4, β = (0, 0.9)), the optimiser's own ops (0-d step count in its state). */
const tx = adam(2e-4, { b1: 0, b2: 0.9 });

/** Milliseconds spent in `update` (the eager breakdown reads it). */
let updateMs = 0;

function update(net: Net, grads: unknown): Net {
  const t0 = performance.now();
  const [updates, opt] = tx.update(grads, net.opt as never, net.params);
  const next = { params: applyUpdates(net.params, updates), state: net.state, opt };
  updateMs += performance.now() - t0;
  return next;
}

function makeStep(G: AnyLayer, D: AnyLayer): (s: State, z: Tensor, real: Tensor) => { state: State; dLoss: Tensor; gLoss: Tensor } {
  const apply = (l: AnyLayer, p: unknown, st: unknown, x: Tensor): Tensor => l.apply(p, st, x, { train: true })[0];
  return (s, z, real) => {
    const fake = stopGradient(apply(G, s.g.params, s.g.state, z));
    const dLossOf = (dp: unknown): Tensor =>
      ops.add(ops.mean(ops.relu(ops.sub(1, apply(D, dp, s.d.state, real)))), ops.mean(ops.relu(ops.add(1, apply(D, dp, s.d.state, fake)))));
    const [dLoss, dGrads] = valueAndGrad(dLossOf)(s.d.params);
    const d = update(s.d, dGrads);
    const gLossOf = (gp: unknown): Tensor => ops.neg(ops.mean(apply(D, d.params, d.state, apply(G, gp, s.g.state, z))));
    const [gLoss, gGrads] = valueAndGrad(gLossOf)(s.g.params);
    const g = update(s.g, gGrads);
    return { state: { g, d }, dLoss, gLoss };
  };
}

type Model = { name: string; G: AnyLayer; D: AnyLayer; zShape: number[]; xShape: number[]; batch?: number };

const MODELS: Record<string, () => Model> = {
  mlp: () => ({
    name: 'MLP GAN (784-d data, 128 hidden)',
    G: sequential(Linear(128) as AnyLayer, ReLU(), Linear(784) as AnyLayer, Tanh()) as AnyLayer,
    D: sequential(Linear(128) as AnyLayer, LeakyReLU(0.2), Linear(1) as AnyLayer) as AnyLayer,
    zShape: [32],
    xShape: [784],
  }),
  dcgan: () => ({
    name: 'benchmark DCGAN (issue 13)',
    G: benchmarkGanConfig({ sn: false }).generator as AnyLayer,
    D: benchmarkGanConfig({ sn: false }).discriminator as AnyLayer,
    zShape: [64],
    xShape: [1, 28, 28],
  }),
  gauss: () => ({
    name: '8-Gaussians MLP GAN (issue 13), batch 256',
    G: sequential(Linear(128) as AnyLayer, ReLU(), Linear(128) as AnyLayer, ReLU(), Linear(2) as AnyLayer) as AnyLayer,
    D: sequential(Linear(128) as AnyLayer, LeakyReLU(0.2), Linear(128) as AnyLayer, LeakyReLU(0.2), Linear(1) as AnyLayer) as AnyLayer,
    zShape: [2],
    xShape: [2],
    batch: 256,
  }),
};

type Variant = 'eager' | 'jitJs' | 'jit';
const VARIANT_NAMES: readonly Variant[] = ['eager', 'jitJs', 'jit'];

/** Interleaved rounds (this VM has slow phases, and other processes share it): each round times every task, rotating which goes first. */
async function timeAll(tasks: Record<Variant, () => unknown>): Promise<Record<Variant, number[]>> {
  const samples: Record<Variant, number[]> = { eager: [], jitJs: [], jit: [] };
  for (let round = 0; round < (values.quick ? 3 : 6); round++) {
    const bench = new Bench({ time: values.quick ? 200 : 1000, iterations: values.quick ? 2 : 3, warmupIterations: 1, retainSamples: true, throws: true });
    for (let i = 0; i < VARIANT_NAMES.length; i++) {
      const name = VARIANT_NAMES[(i + round) % VARIANT_NAMES.length]!;
      bench.add(name, tasks[name]);
    }
    await bench.run();
    for (const t of bench.tasks) {
      if (t.result.state !== 'completed') throw new Error(`benchmark did not complete: ${t.result.state}`);
      samples[t.name as Variant].push(...(t.result.latency.samples ?? []));
    }
  }
  return samples;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** GEMM and convolution flops of one run of a graph (the arithmetic; elementwise work is not counted). */
function kernelFlops(g: Graph): number {
  let flops = 0;
  for (const e of g.eqns) {
    if (e.prim === 'matmul') {
      const { transA } = e.params as { transA: boolean };
      const a = g.vars[e.inputs[0]!]!.shape;
      const out = g.vars[e.out]!.shape;
      flops += 2 * out[0]! * out[1]! * (transA ? a[0]! : a[1]!);
    } else if (e.prim === 'conv2d' || e.prim === 'conv2dGradInput' || e.prim === 'conv2dGradWeight') {
      const c = (e.params as { geometry: ConvGeometry }).geometry;
      flops += 2 * c.n * c.o * c.oh * c.ow * c.c * c.kh * c.kw;
    }
  }
  return flops;
}

/** The backend's register-only peak in GFLOP/s (FMA on the relaxed build, mul+add otherwise), measured now. */
function peakGflops(b: WasmBackend): number {
  const fma = b.variant === 'relaxed';
  const iters = 1e6;
  let best = Infinity;
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    b.peak(iters, fma);
    best = Math.min(best, performance.now() - t0);
  }
  return b.peak(1, fma) * iters / best / 1e6;
}

/**
 * Of `runs` timed runs (each filling `parts` afresh): the least total and, separately, the
 * least of each part — this machine is shared, and a part's minimum over many runs is the
 * estimate least disturbed by other processes (so the parts need not add up to the total).
 */
function fastest(runs: number, once: (parts: Record<string, number>) => void): Record<string, number> {
  const best: Record<string, number> = { total: Infinity };
  for (let i = 0; i < runs; i++) {
    const parts: Record<string, number> = {};
    const t0 = performance.now();
    once(parts);
    parts['total'] = performance.now() - t0;
    for (const [k, v] of Object.entries(parts)) best[k] = Math.min(best[k] ?? Infinity, v);
  }
  return best;
}

/** Eager steps with the backend's kernels and the optimiser's update calls timed (the fastest of `runs`). */
function eagerBreakdown<A extends unknown[]>(b: WasmBackend, fn: (...args: A) => unknown, args: A, runs: number): Record<string, number> {
  let kernelMs = 0;
  const timed = <F extends (...a: never[]) => unknown>(f: F): F =>
    ((...a: Parameters<F>) => {
      const t0 = performance.now();
      const r = f(...a);
      kernelMs += performance.now() - t0;
      return r;
    }) as F;
  const proxy: Backend = { ...b, gemm: timed(b.gemm), conv2d: timed(b.conv2d), conv2dGradInput: timed(b.conv2dGradInput), conv2dGradWeight: timed(b.conv2dGradWeight), powerIteration: timed(b.powerIteration) };
  useBackend(proxy);
  fn(...args);
  const best = fastest(runs, (parts) => {
    kernelMs = 0;
    updateMs = 0;
    fn(...args);
    parts['kernels'] = kernelMs;
    parts['optimiser'] = updateMs;
  });
  useBackend(b);
  // Adam is elementwise (no kernels inside the update calls), so the parts add up.
  return { ...best, dispatchAndElementwise: best['total']! - best['kernels']! - best['optimiser']! };
}

/** The wasm compiler's graph with every kind of step timed (the fastest of `runs`; timing adds a little per step), and the whole jitted call untimed. */
function jitBreakdown<A extends unknown[]>(b: WasmBackend, fn: (...args: A) => unknown, args: A, runs: number): Record<string, number> {
  const graph = jit(fn).lower(...args);
  const timer: StepTimer = { copies: 0, kernels: 0, adam: 0, fused: 0, updates: 0, jsLoops: 0, eval: 0 };
  const compiled = b.compileTimed(graph, { evaluate: evaluateEqn }, timer);
  const inputs = treeLeaves(args).filter((l): l is Tensor => typeof l !== 'number');
  compiled.run(inputs);
  const best = fastest(runs, (parts) => {
    for (const k of Object.keys(timer) as (keyof StepTimer)[]) timer[k] = 0;
    compiled.run(inputs);
    Object.assign(parts, timer);
  });
  const inside = Object.keys(timer).reduce((acc, k) => acc + best[k]!, 0);
  const jitted = jit(fn);
  jitted(...args);
  const call = fastest(runs, () => jitted(...args))['total']!;
  const untimed = b.compile!(graph, { evaluate: evaluateEqn });
  const graphOnly = fastest(runs, () => untimed.run(inputs))['total']!;
  return { ...best, executorAndTiming: best['total']! - inside, graphUntimed: graphOnly, wholeCall: call, signatureAndTrees: call - graphOnly };
}

/**
 * One bench row: `fn(...args)` eager, jitted with the JavaScript compiler and jitted with the
 * wasm compiler (interleaved), then the trace and compile times on a fresh jitted function,
 * the first call's time, and passes / bytes / boundary copies of each.
 */
async function measure<A extends unknown[]>(model: string, fn: (...args: A) => unknown, args: A): Promise<Record<string, unknown>> {
  const jitted = jit(fn);
  const samples = await timeAll({
    eager: () => fn(...args),
    jitJs: () => withBackend(jsCompiled, () => jitted(...args)),
    jit: () => jitted(...args),
  });
  // Trace and compile times on fresh jitted functions (the code is warm by now).
  const fresh = jit(fn);
  let t0 = performance.now();
  const graph = fresh.lower(...args);
  const traceMs = performance.now() - t0;
  t0 = performance.now();
  const profile = fresh.profile(...args);
  const compileMs = performance.now() - t0;
  const jsProfile = withBackend(jsCompiled, () => fresh.profile(...args));
  t0 = performance.now();
  jit(fn)(...args);
  const firstCallMs = performance.now() - t0;
  const eager = opByOpProfile(graph);
  const flops = kernelFlops(graph);
  const runs = values.quick ? 100 : 300;
  return {
    model,
    backend: currentBackendDescription(),
    equations: graph.eqns.length,
    eagerMs: median(samples.eager),
    jitJsMs: median(samples.jitJs),
    jitMs: median(samples.jit),
    eagerMinMs: Math.min(...samples.eager),
    jitJsMinMs: Math.min(...samples.jitJs),
    jitMinMs: Math.min(...samples.jit),
    samples: samples.eager.length,
    kernelMflop: flops / 1e6,
    arithmeticAtPeakMs: flops / (peak * 1e6),
    peakGflops: peak,
    traceMs,
    firstCallMs,
    compileMs,
    eagerPasses: eager.passes,
    jitJsPasses: jsProfile.passes,
    jitPasses: profile.passes,
    eagerFreshMB: eager.freshBytes / 2 ** 20,
    jitJsFreshMB: jsProfile.freshBytes / 2 ** 20,
    jitFreshMB: profile.freshBytes / 2 ** 20,
    jitResidentMB: profile.residentBytes / 2 ** 20,
    // The JS compiler's kernels copy both operands in and the result out; eager ones too.
    eagerBoundaryCopies: 3 * graph.eqns.filter((e) => KERNEL_PRIMITIVES.has(e.prim)).length,
    jitJsBoundaryCopies: 3 * graph.eqns.filter((e) => KERNEL_PRIMITIVES.has(e.prim)).length,
    jitBoundaryCopies: profile.boundaryCopies,
    kernelOperandMB: (4 * graph.eqns.filter((e) => KERNEL_PRIMITIVES.has(e.prim)).reduce((acc, e) => acc + [...e.inputs.slice(0, 2), e.out].reduce((a, v) => a + sizeOf(graph.vars[v]!.shape), 0), 0)) / 2 ** 20,
    jitBoundaryMB: (profile.boundaryBytes ?? 0) / 2 ** 20,
    groups: profile.groups,
    wasmGroups: profile.wasmGroups,
    fusedEquations: profile.fusedEqns,
    ...(values.breakdown ? { eagerBreakdownMs: eagerBreakdown(backend, fn, args, runs), jitBreakdownMs: jitBreakdown(backend, fn, args, runs) } : {}),
  };
}

async function benchTrainCore(): Promise<Record<string, unknown>> {
  const m = MODELS['dcgan']!();
  const config: TrainConfig = {
    generator: m.G,
    discriminator: m.D,
    latent: { dim: 64, prior: 'normal' },
    dataShape: [1, 28, 28],
    loss: 'hinge',
    optimizers: { g: { name: 'adam', lr: 2e-4, b1: 0, b2: 0.9 }, d: { name: 'adam', lr: 2e-4, b1: 0, b2: 0.9 } },
  };
  const valid = validateTrainConfig(config);
  if (E.isLeft(valid)) throw valid.left;
  const core = makeTrainCore(valid.right);
  const state = initTrainState(valid.right, key(0));
  const batch = { real: [ops.tanh(normal(key(1), [64, 1, 28, 28]))] };
  const randomness = drawRandomness(valid.right, key(2), 64);
  return measure('train.makeTrainCore, benchmark DCGAN', core, [state, batch, randomness]);
}

let backend: WasmBackend;
/** The same backend with the JavaScript graph compiler (fused JS loops, kernels copying in and out): jit before the resident compiler. */
let jsCompiled: Backend;
let peak = 0;

async function main(): Promise<void> {
  backend = await loadWasmBackend({ threads: Number(values.threads) });
  jsCompiled = { ...backend, compile: (g, ctx) => compileGraph(g, ctx, { kernels: backend }) };
  peak = peakGflops(backend);
  const rows: Record<string, unknown>[] = [];
  useBackend(backend);
  for (const name of values.model ?? ['mlp', 'dcgan', 'gauss', 'train']) {
    if (name === 'train') {
      rows.push(await benchTrainCore());
      continue;
    }
    const mk = MODELS[name];
    if (mk === undefined) throw new Error(`unknown model ${name} (mlp, dcgan, gauss, train)`);
    const m = mk();
    const batch = m.batch ?? 64;
    const [kg, kd, kz, kx] = split(key(0), 4) as [ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>];
    const g0 = m.G.init(kg, m.zShape);
    const d0 = m.D.init(kd, m.xShape);
    const init: State = { g: { params: g0.params, state: g0.state, opt: tx.init(g0.params) }, d: { params: d0.params, state: d0.state, opt: tx.init(d0.params) } };
    const z = normal(kz, [batch, ...m.zShape]);
    const real = ops.tanh(normal(kx, [batch, ...m.xShape]));
    const step = makeStep(m.G, m.D);

    // A few eager steps first, so the optimiser state is a trained one rather than zeros.
    let state = init;
    for (let i = 0; i < 3; i++) state = step(state, z, real).state;

    rows.push(await measure(m.name, step, [state, z, real] as const));
  }
  useBackend(referenceBackend);
  await backend.close();
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  const f = (v: unknown, d = 1): string => (v === undefined ? '–' : (v as number).toFixed(d));
  console.log(
    '| model | equations | step ms eager / jit-js / jit (median; fastest) | kernel arithmetic at peak, ms | passes eager → jit-js → jit | MB allocated per step eager → jit-js → jit | copies across the wasm boundary per step eager → jit-js → jit (MB eager and jit-js → jit) | resident MB (jit) | groups (in wasm) | trace ms | compile ms | first call ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${String(r.model)} | ${String(r.equations)} | ${f(r.eagerMs, 2)} / ${f(r.jitJsMs, 2)} / ${f(r.jitMs, 2)}; ${f(r.eagerMinMs, 2)} / ${f(r.jitJsMinMs, 2)} / ${f(r.jitMinMs, 2)} | ${f(r.arithmeticAtPeakMs, 2)} | ${String(r.eagerPasses)} → ${String(r.jitJsPasses)} → ${String(r.jitPasses)} | ${f(r.eagerFreshMB)} → ${f(r.jitJsFreshMB)} → ${f(r.jitFreshMB)} | ${String(r.eagerBoundaryCopies)} → ${String(r.jitJsBoundaryCopies)} → ${String(r.jitBoundaryCopies)} (${f(r.kernelOperandMB)} → ${f(r.jitBoundaryMB)}) | ${f(r.jitResidentMB)} | ${String(r.groups)} (${String(r.wasmGroups)}) | ${f(r.traceMs)} | ${f(r.compileMs)} | ${f(r.firstCallMs)} |`,
    );
  }
  console.log(`backend: ${String(rows[0]?.backend)}; peak ${peak.toFixed(1)} GFLOP/s (register-only, this run)`);
  if (values.breakdown) {
    for (const r of rows) {
      if (r.eagerBreakdownMs === undefined) continue;
      const show = (o: unknown): string => Object.entries(o as Record<string, number>).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
      console.log(`${String(r.model)}: eager ms: ${show(r.eagerBreakdownMs)}`);
      console.log(`${String(r.model)}: jit ms:   ${show(r.jitBreakdownMs)}`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
