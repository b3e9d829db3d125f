/**
 * What `jit` buys on a GAN training step: passes over memory, bytes allocated per step, the
 * trace and compile time, and the step time with and without jit, in one run.
 *
 *   mlp:   G: z[64, 32] → Linear(128) → ReLU → Linear(784) → tanh;  D: Linear(128) → LeakyReLU(0.2) → Linear(1)
 *   dcgan: the benchmark GAN (the performance issue's model):
 *          G: z[64] → Linear(128·7·7) → ReLU → reshape (128, 7, 7) → ConvTranspose2d(128→64, k4 s2 p1) → ReLU
 *             → ConvTranspose2d(64→1, k4 s2 p1) → tanh
 *          D: Conv2d(1→64, k4 s2 p1) → LeakyReLU(0.2) → Conv2d(64→128, k4 s2 p1) → LeakyReLU(0.2) → flatten → Linear(6272, 1)
 * Both: batch 64, one D step then one G step, hinge loss, `optim.adam(2e-4, { b1: 0, b2: 0.9 })`
 * (a step built from ops only, latents and data passed in).
 *
 *   train: the same DCGAN through the project's own step, `train.makeTrainCore` (hinge, Adam as
 *          above; latents drawn outside with `drawRandomness`), jitted as a whole.
 *
 *     node dist/bench/jit.js [--json] [--quick] [--model mlp --model dcgan --model train] [--threads 1]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { loadWasmBackend } from '../src/backend/wasm/index.js';
import { referenceBackend } from '../src/backend/reference.js';
import { currentBackend, useBackend } from '../src/backend/current.js';

const currentBackendDescription = (): string => currentBackend().description;
import { key, normal, split } from '../src/core/random.js';
import type { Tensor } from '../src/core/tensor.js';
import { adam, applyUpdates } from '../src/optim/index.js';
import * as ops from '../src/ops/index.js';
import { stopGradient, valueAndGrad } from '../src/autodiff/index.js';
import { Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Linear, ReLU, Reshape, Tanh, sequential, type AnyLayer } from '../src/nn/index.js';
import { jit } from '../src/jit/index.js';
import { drawRandomness, initTrainState, makeTrainCore, validateTrainConfig, type TrainConfig } from '../src/train/index.js';
import * as E from 'fp-ts/lib/Either.js';
import { opByOpProfile } from '../src/jit/execute.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    model: { type: 'string', multiple: true },
    threads: { type: 'string', default: '1' },
  },
  strict: true,
});

/** One network's params, (unchanging: no batch norm here) layer state and optimiser state. */
type Net = { params: unknown; state: unknown; opt: unknown };
type State = { g: Net; d: Net };

/** Adam(2e-4, β = (0, 0.9)), the optimiser's own ops (0-d step count in its state). */
const tx = adam(2e-4, { b1: 0, b2: 0.9 });

function update(net: Net, grads: unknown): Net {
  const [updates, opt] = tx.update(grads, net.opt as never, net.params);
  return { params: applyUpdates(net.params, updates), state: net.state, opt };
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

type Model = { name: string; G: AnyLayer; D: AnyLayer; zShape: number[]; xShape: number[] };

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
    G: sequential(
      Linear(128 * 7 * 7) as AnyLayer, ReLU(), Reshape([128, 7, 7]),
      ConvTranspose2d(64, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer, ReLU(),
      ConvTranspose2d(1, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer, Tanh(),
    ) as AnyLayer,
    D: sequential(
      Conv2d(64, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer, LeakyReLU(0.2),
      Conv2d(128, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer, LeakyReLU(0.2),
      Flatten(), Linear(1) as AnyLayer,
    ) as AnyLayer,
    zShape: [64],
    xShape: [1, 28, 28],
  }),
};

/** Interleaved rounds (this VM has slow phases): each round times both tasks, alternating which goes first. */
async function timeBoth(tasks: Record<'eager' | 'jit', () => unknown>): Promise<Record<'eager' | 'jit', number[]>> {
  const samples: Record<'eager' | 'jit', number[]> = { eager: [], jit: [] };
  for (let round = 0; round < (values.quick ? 2 : 6); round++) {
    const bench = new Bench({ time: values.quick ? 200 : 1000, iterations: values.quick ? 2 : 3, warmupIterations: 1, retainSamples: true, throws: true });
    const order = round % 2 === 0 ? (['eager', 'jit'] as const) : (['jit', 'eager'] as const);
    for (const name of order) bench.add(name, tasks[name]);
    await bench.run();
    for (const t of bench.tasks) {
      if (t.result.state !== 'completed') throw new Error(`benchmark did not complete: ${t.result.state}`);
      samples[t.name as 'eager' | 'jit'].push(...(t.result.latency.samples ?? []));
    }
  }
  return samples;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * One bench row: `fn(...args)` eager against `jit(fn)` (interleaved), then the trace and
 * compile times on a fresh jitted function, the first call's time, and passes / bytes of both.
 */
async function measure<A extends unknown[]>(model: string, fn: (...args: A) => unknown, args: A): Promise<Record<string, unknown>> {
  const jitted = jit(fn);
  const samples = await timeBoth({ eager: () => fn(...args), jit: () => jitted(...args) });
  // Trace and compile times on fresh jitted functions (the code is warm by now).
  const fresh = jit(fn);
  let t0 = performance.now();
  const graph = fresh.lower(...args);
  const traceMs = performance.now() - t0;
  t0 = performance.now();
  const profile = fresh.profile(...args);
  const compileMs = performance.now() - t0;
  t0 = performance.now();
  jit(fn)(...args);
  const firstCallMs = performance.now() - t0;
  const eager = opByOpProfile(graph);
  return {
    model,
    backend: currentBackendDescription(),
    equations: graph.eqns.length,
    eagerMs: median(samples.eager),
    jitMs: median(samples.jit),
    eagerMinMs: Math.min(...samples.eager),
    jitMinMs: Math.min(...samples.jit),
    samples: samples.eager.length,
    traceMs,
    firstCallMs,
    compileMs,
    eagerPasses: eager.passes,
    jitPasses: profile.passes,
    eagerFreshMB: eager.freshBytes / 2 ** 20,
    jitFreshMB: profile.freshBytes / 2 ** 20,
    jitResidentMB: profile.residentBytes / 2 ** 20,
    groups: profile.groups,
    fusedEquations: profile.fusedEqns,
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

async function main(): Promise<void> {
  const backend = await loadWasmBackend({ threads: Number(values.threads) });
  const rows: Record<string, unknown>[] = [];
  useBackend(backend);
  for (const name of values.model ?? ['mlp', 'dcgan', 'train']) {
    if (name === 'train') {
      rows.push(await benchTrainCore());
      continue;
    }
    const mk = MODELS[name];
    if (mk === undefined) throw new Error(`unknown model ${name} (mlp, dcgan)`);
    const m = mk();
    useBackend(backend);
    {
      const [kg, kd, kz, kx] = split(key(0), 4) as [ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>];
      const g0 = m.G.init(kg, m.zShape);
      const d0 = m.D.init(kd, m.xShape);
      const init: State = { g: { params: g0.params, state: g0.state, opt: tx.init(g0.params) }, d: { params: d0.params, state: d0.state, opt: tx.init(d0.params) } };
      const z = normal(kz, [64, ...m.zShape]);
      const real = ops.tanh(normal(kx, [64, ...m.xShape]));
      const step = makeStep(m.G, m.D);

      // A few eager steps first, so the optimiser state is a trained one rather than zeros.
      let state = init;
      for (let i = 0; i < 3; i++) state = step(state, z, real).state;

      rows.push(await measure(m.name, step, [state, z, real] as const));
    }
  }
  useBackend(referenceBackend);
  await backend.close();
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  const f = (v: unknown, d = 1): string => (v as number).toFixed(d);
  console.log('| model | equations | step ms eager → jit (median; fastest) | passes eager → jit | MB allocated per step eager → jit | resident MB (jit) | fused: equations in groups | trace ms | compile ms | first call ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${String(r.model)} | ${String(r.equations)} | ${f(r.eagerMs)} → ${f(r.jitMs)}; ${f(r.eagerMinMs)} → ${f(r.jitMinMs)} | ${String(r.eagerPasses)} → ${String(r.jitPasses)} | ${f(r.eagerFreshMB)} → ${f(r.jitFreshMB)} | ${f(r.jitResidentMB)} | ${String(r.fusedEquations)} in ${String(r.groups)} | ${f(r.traceMs)} | ${f(r.compileMs)} | ${r.firstCallMs === undefined ? '–' : f(r.firstCallMs)} |`,
    );
  }
  console.log(`backend: ${String(rows[0]?.backend)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
