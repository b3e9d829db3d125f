/**
 * One Adam step (params, grads and state → params' and state') over the parameter trees of
 * the benchmark GAN (MNIST DCGAN-style, the performance issue's model) and of the 8-Gaussians
 * MLP GAN, on the wasm backend with 1 and 2 threads:
 *   benchmark G: Linear(64→6272), ConvTranspose2d(128→64, k4), ConvTranspose2d(64→1, k4)
 *   benchmark D: Conv2d(1→64, k4), Conv2d(64→128, k4), Linear(6272→1)
 *   MLP G: 2 → 128 → 128 → 2;  MLP D: 2 → 128 → 128 → 1
 *
 * Variants: `composed` is `update` + `applyUpdates` written with tensor ops (`fused: false`),
 * eagerly and under `jit` (whose compiler fuses the arithmetic into one JavaScript loop per
 * leaf); `fused` is `optimizerStep` with the `adamUpdate` kernel (one wasm SIMD pass over all
 * leaves), eagerly and under `jit`; for the MLP trees also `fused, one call per leaf`, the
 * kernel called once per leaf instead of once per tree (what flattening the leaves saves);
 * and `kernel alone (out=)`, the backend's adamUpdate on the raw arrays into a reused result.
 *
 * Throughput: an Adam step must read p, g, m, v and write p', m', v' (7 floats per parameter),
 * reported as GB/s of those bytes, against a memory-bandwidth peak measured in the same run:
 * `Float32Array.prototype.set` (a memcpy) over 7 floats per parameter, reading and writing
 * each once. (The fused step moves more than the minimum: it stages p, g, m, v into wasm
 * memory and copies the packed result out.) Every variant is timed in rounds that interleave
 * with all the others, so a slow phase of a shared machine hits all of them; the median of
 * the rounds' medians is reported, with the fastest round.
 *
 *     node dist/bench/optimizer.js [--json] [--quick]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { useBackend } from '../src/backend/current.js';
import { loadWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { key, normal, split } from '../src/core/random.js';
import { scalar, type Tensor } from '../src/core/tensor.js';
import { jit } from '../src/jit/index.js';
import { adamUpdate } from '../src/ops/adam_update.js';
import { adam, biasCorrection, optimizerStep, type AdamState } from '../src/optim/index.js';
import { add } from '../src/ops/elementwise.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } },
  strict: true,
});

const mlp = (out: number): Record<string, readonly number[]> => ({
  'fc1.weight': [128, 2],
  'fc1.bias': [128],
  'fc2.weight': [128, 128],
  'fc2.bias': [128],
  'fc3.weight': [out, 128],
  'fc3.bias': [out],
});

const TREES: Record<string, Record<string, readonly number[]>> = {
  'benchmark G': { 'fc.weight': [6272, 64], 'fc.bias': [6272], 'up1.weight': [128, 64, 4, 4], 'up1.bias': [64], 'up2.weight': [64, 1, 4, 4], 'up2.bias': [1] },
  'benchmark D': { 'conv1.weight': [64, 1, 4, 4], 'conv1.bias': [64], 'conv2.weight': [128, 64, 4, 4], 'conv2.bias': [128], 'fc.weight': [1, 6272], 'fc.bias': [1] },
  'MLP G': mlp(2),
  'MLP D': mlp(1),
};

type Params = Record<string, Tensor>;

function randomTree(shapes: Record<string, readonly number[]>, seed: number, std: number): Params {
  const names = Object.keys(shapes);
  const keys = split(key(seed), names.length);
  return Object.fromEntries(names.map((n, i) => [n, normal(keys[i]!, shapes[n]!, 0, std)]));
}

const HYPER = { b1: 0, b2: 0.9 } as const;
const LR = 2e-4;

/** A step function with its state kept between calls (each call is one optimiser step). */
type Variant = () => unknown;

function variantsFor(tree: string, params: Params, grads: Params, backend: WasmBackend): Record<string, Variant> {
  const make = (fused: boolean, jitted: boolean): Variant => {
    const tx = adam<Params>(LR, { ...HYPER, fused });
    const step = (g: Params, s: ReturnType<typeof tx.init>, p: Params) => optimizerStep(tx, { grads: g, state: s, params: p });
    const run = jitted ? jit(step) : step;
    let state = tx.init(params);
    return () => {
      const [p, s] = run(grads, state, params);
      state = s;
      return p;
    };
  };
  const out: Record<string, Variant> = {
    composed: make(false, false),
    'composed, jit': make(false, true),
    fused: make(true, false),
    'fused, jit': make(true, true),
  };
  // The backend kernel alone on the same arrays, into a reused `out`: staging, the pass and the
  // copy out, without ops, tensors or a fresh result (what dispatch and allocation cost).
  const leaves = Object.keys(params).map((n) => ({ param: params[n]!.data, grad: grads[n]!.data, m: grads[n]!.data, v: params[n]!.data.map(Math.abs) }));
  const spec = { rule: 'adam', ...HYPER, eps: 1e-8, epsRoot: 0, weightDecay: 0, decay: 'none', c1: 0.5, c2: 0.2, lr: LR } as const;
  const into = new Float32Array(3 * leaves.reduce((n, l) => n + l.param.length, 0));
  out['kernel alone (out=)'] = () => backend.adamUpdate(leaves, spec, into);
  if (tree.startsWith('MLP')) {
    // The kernel once per leaf, with the per-step scalars computed once as in the fused step.
    const names = Object.keys(params);
    let s: AdamState<Params> = { count: scalar(0), mu: randomTree(TREES[tree]!, 7, 0), nu: randomTree(TREES[tree]!, 8, 0) };
    out['fused, one call per leaf'] = () => {
      const count = add(s.count, 1);
      const scalars = { c1: biasCorrection(HYPER.b1, count), c2: biasCorrection(HYPER.b2, count), lr: scalar(LR) };
      const hyper = { rule: 'adam', ...HYPER, eps: 1e-8, epsRoot: 0, weightDecay: 0, decay: 'none' } as const;
      const p: Params = {};
      const mu: Params = {};
      const nu: Params = {};
      for (const n of names) {
        const r = adamUpdate({ params: [params[n]!], grads: [grads[n]!], mu: [s.mu[n]!], nu: [s.nu[n]!] }, scalars, hyper);
        [p[n], mu[n], nu[n]] = [r.params[0]!, r.mu[0]!, r.nu[0]!];
      }
      s = { count, mu, nu };
      return p;
    };
  }
  return out;
}

type Row = { name: string; variant: string; threads: number; params: number; ms: number; minMs: number; gbPerS: number; fractionOfPeak: number; peakGbPerS: number; rounds: number };

async function main(): Promise<void> {
  const backends: [number, WasmBackend][] = [
    [1, await loadWasmBackend({ threads: 1 })],
    [2, await loadWasmBackend({ threads: 2 })],
  ];
  const rounds = values.quick ? 1 : 5;
  const time = values.quick ? 100 : 300;
  type Cell = { tree: string; threads: number; variant: string; fn: Variant; ms: number[] };
  const cells: Cell[] = [];
  const sizes: Record<string, number> = {};
  for (const [threads, backend] of backends) {
    useBackend(backend);
    for (const [tree, shapes] of Object.entries(TREES)) {
      const params = randomTree(shapes, 0, 0.02);
      const grads = randomTree(shapes, 1, 1e-3);
      sizes[tree] = Object.values(params).reduce((n, p) => n + p.data.length, 0);
      for (const [variant, fn] of Object.entries(variantsFor(tree, params, grads, backend))) cells.push({ tree, threads, variant, fn, ms: [] });
      const n = 7 * sizes[tree]!;
      const [src, dst] = [new Float32Array(n).fill(1), new Float32Array(n)];
      cells.push({ tree, threads, variant: 'memcpy peak', fn: () => dst.set(src), ms: [] });
    }
  }
  const measure = async (cell: Cell): Promise<void> => {
    useBackend(backends.find(([t]) => t === cell.threads)![1]);
    const bench = new Bench({ time, iterations: values.quick ? 3 : 10, warmupIterations: 3, throws: true });
    bench.add(cell.variant, cell.fn);
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (r.state !== 'completed') throw new Error(`benchmark ${cell.variant} did not complete: ${r.state}`);
    cell.ms.push(r.latency.p50);
  };
  for (let round = 0; round < rounds; round++) for (const cell of cells) await measure(cell);
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: Row[] = [];
  for (const cell of cells) {
    if (cell.variant === 'memcpy peak') continue;
    const peak = cells.find((c) => c.variant === 'memcpy peak' && c.tree === cell.tree && c.threads === cell.threads)!;
    const n = sizes[cell.tree]!;
    const ms = median(cell.ms);
    const gbPerS = (7 * 4 * n) / (ms * 1e6);
    const peakGbPerS = (2 * 7 * 4 * n) / (median(peak.ms) * 1e6);
    rows.push({ name: `adam step, ${cell.tree}`, variant: cell.variant, threads: cell.threads, params: n, ms, minMs: Math.min(...cell.ms), gbPerS, fractionOfPeak: gbPerS / peakGbPerS, peakGbPerS, rounds });
  }
  for (const [, b] of backends) await b.close();
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  console.log(`Adam step (params, grads, state → params', state'), wasm ${backends[0]![1].variant}, medians of ${rounds} interleaved rounds`);
  console.log("| tree (parameters) | threads | variant | median ms | fastest round | GB/s of p, g, m, v in and p', m', v' out | of memcpy peak (GB/s) |");
  console.log('|---|---:|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name.replace('adam step, ', '')} (${r.params}) | ${r.threads} | ${r.variant} | ${r.ms.toFixed(3)} | ${r.minMs.toFixed(3)} | ${r.gbPerS.toFixed(2)} | ${(100 * r.fractionOfPeak).toFixed(0)}% (${r.peakGbPerS.toFixed(1)}) |`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
