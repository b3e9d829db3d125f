/**
 * Cost of one Adam step (update + applyUpdates) over the parameters of the benchmark GAN
 * (678k parameters, MNIST DCGAN-style), with the wasm backend loaded:
 *   G: Linear(64→6272), ConvTranspose2d(128→64, k4), ConvTranspose2d(64→1, k4)
 *   D: Conv2d(1→64, k4), Conv2d(64→128, k4), Linear(6272→1)
 * Two variants: `ops` is the library's Adam (every step a chain of tensor ops, traceable);
 * `per-element closures` is the previous implementation, kept here as the baseline: a loop
 * over `.data` calling a closure per element (`zipData`). Each variant is timed in five rounds
 * that alternate with the other's; the median of the rounds' medians is reported.
 *
 *     node dist/bench/optimizer.js [--json] [--quick]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { init } from '../src/index.js';
import { treeFlatten, treeUnflatten, treeZip } from '../src/core/pytree.js';
import { key, normal, split } from '../src/core/random.js';
import { tensor, type Tensor } from '../src/core/tensor.js';
import { adam, applyUpdates } from '../src/optim/index.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } },
  strict: true,
});

const SHAPES: Record<string, readonly number[]> = {
  'g.fc.weight': [6272, 64],
  'g.fc.bias': [6272],
  'g.up1.weight': [128, 64, 4, 4],
  'g.up1.bias': [64],
  'g.up2.weight': [64, 1, 4, 4],
  'g.up2.bias': [1],
  'd.conv1.weight': [64, 1, 4, 4],
  'd.conv1.bias': [64],
  'd.conv2.weight': [128, 64, 4, 4],
  'd.conv2.bias': [128],
  'd.fc.weight': [1, 6272],
  'd.fc.bias': [1],
};

type Params = Record<string, Tensor>;

function randomTree(seed: number): Params {
  const names = Object.keys(SHAPES);
  const keys = split(key(seed), names.length);
  return Object.fromEntries(names.map((n, i) => [n, normal(keys[i]!, SHAPES[n]!, 0, 0.02)]));
}

/** The baseline: the previous per-element path (a closure call per element over `.data`). */
function zipData(t: Tensor, others: readonly Tensor[], f: (x: number, ys: number[]) => number): Tensor {
  const a = t.data;
  const bs = others.map((o) => o.data);
  const out = new Float32Array(a.length);
  const ys = new Array<number>(bs.length);
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < bs.length; j++) ys[j] = bs[j]![i]!;
    out[i] = f(a[i]!, ys);
  }
  return tensor(t.shape, out);
}

function mapTrees<T>(template: T, others: readonly unknown[], f: (xs: Tensor[]) => Tensor): T {
  const t = treeFlatten(template);
  const os = others.map((o) => treeFlatten(o).leaves);
  return treeUnflatten<T>(t.treedef, t.leaves.map((l, i) => f([l as Tensor, ...os.map((o) => o[i] as Tensor)])));
}

type BaselineState = { count: number; mu: Params; nu: Params };

/** The previous Adam, scaleByAdam then scaleByLearningRate, then applyUpdates, as it was written. */
function baselineAdamStep(params: Params, grads: Params, state: BaselineState, lr: number): [Params, BaselineState] {
  const [b1, b2, eps] = [0.5, 0.999, 1e-8];
  const t = state.count + 1;
  const mu = mapTrees(grads, [state.mu], ([g, m]) => zipData(m!, [g!], (mv, [gv]) => b1 * mv + (1 - b1) * gv!));
  const nu = mapTrees(grads, [state.nu], ([g, v]) => zipData(v!, [g!], (vv, [gv]) => b2 * vv + (1 - b2) * gv! * gv!));
  const c1 = 1 - b1 ** t;
  const c2 = 1 - b2 ** t;
  const scaled = mapTrees(grads, [mu, nu], ([, m, v]) => zipData(m!, [v!], (mv, [vv]) => mv / c1 / (Math.sqrt(vv! / c2) + eps)));
  const updates = mapTrees(scaled, [], ([u]) => zipData(u!, [], (x) => -lr * x));
  const pairs = treeZip(params, updates);
  const next = treeUnflatten<Params>(treeFlatten(params).treedef, pairs.map(([p, u]) => zipData(p as Tensor, [u as Tensor], (pv, [uv]) => pv + uv!)));
  return [next, { count: t, mu, nu }];
}

async function main(): Promise<void> {
  const backend = await init();
  const params = randomTree(0);
  const grads = randomTree(1);
  const count = Object.values(params).reduce((n, p) => n + p.data.length, 0);
  const tx = adam<Params>(2e-4, { b1: 0.5, b2: 0.999 });
  let state = tx.update(grads, tx.init(params), params)[1];
  const zeros = (): Params => mapTrees(params, [], ([p]) => tensor(p!.shape, new Float32Array(p!.data.length)));
  let baseline = baselineAdamStep(params, grads, { count: 0, mu: zeros(), nu: zeros() }, 2e-4)[1];

  const variants: Record<string, () => unknown> = {
    ops: () => {
      const [u, s] = tx.update(grads, state, params);
      state = s;
      return applyUpdates(params, u);
    },
    'per-element closures': () => {
      const [p, s] = baselineAdamStep(params, grads, baseline, 2e-4);
      baseline = s;
      return p;
    },
  };
  // Rounds alternate the variants, so that a slow phase of a shared machine hits both.
  const medians: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
  for (let round = 0; round < (values.quick ? 1 : 5); round++) {
    for (const [name, fn] of Object.entries(variants)) {
      const bench = new Bench({ time: values.quick ? 200 : 1000, iterations: values.quick ? 3 : 5, warmupIterations: 2, throws: true });
      bench.add(name, fn);
      await bench.run();
      const r = bench.tasks[0]!.result;
      if (r.state !== 'completed') throw new Error(`benchmark ${name} did not complete: ${r.state}`);
      medians[name]!.push(r.latency.p50);
    }
  }
  const rows = Object.entries(medians).map(([variant, ms]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    return {
      name: `adam step over ${count} parameters`,
      variant,
      backend: backend.description,
      ms: sorted[Math.floor(sorted.length / 2)]!,
      minMs: sorted[0]!,
      maxMs: sorted[sorted.length - 1]!,
      rounds: sorted.length,
    };
  });
  await backend.close?.();
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  console.log(`Adam step (update + applyUpdates) over the benchmark GAN's ${count} parameters, ${backend.description}`);
  console.log('| variant | median ms | range over rounds | ns / parameter |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.variant} | ${r.ms.toFixed(1)} | ${r.minMs.toFixed(1)}–${r.maxMs.toFixed(1)} | ${((r.ms * 1e6) / count).toFixed(1)} |`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
