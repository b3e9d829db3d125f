/**
 * One training step of the benchmark GAN (bench/helpers/benchmark_gan.ts: hinge loss, Adam 2e-4
 * with β = (0, 0.9), one D step then one G step), `jit(makeTrainCore(config))` compiled for the
 * WebGPU backend, agrees with the same jitted step compiled for wasm, from the same initial
 * state, real batch and latents. At batch 2 in the suite: the batch only sets the length of the
 * batch reductions, and at 64 one SwiftShader step costs minutes (`PUREGAN_WEBGPU_STEP_BATCH`).
 *
 * What is compared, and why this way. Adam's first step moves each weight by
 * lr·m̂/(√v̂ + eps) = lr·g/(|g| + eps) ≈ ±lr, so the new params turn a sign difference of a
 * near-zero gradient entry into a difference of 2·lr: on their own they say little. The step's
 * gradients are in its new state: with β₁ = 0 the first moment after the first step is the
 * gradient itself, m₁ = β₁·0 + (1 − β₁)·g = g (in float32 too), and v₁ = (1 − β₂)·g². So the
 * step, run once, gives
 * - the metrics (d_loss, d_real, d_fake, grad_norm_d, g_loss, grad_norm_g, finite): each within
 *   METRIC_TOLERANCE of |wasm's|;
 * - the gradients of D's loss (at the initial state) and of G's loss (after D's update), Adam's
 *   `mu`: each within GRAD_TOLERANCE × the largest |value| of its layer's gradients (weight and
 *   bias are reductions of one upstream gradient, so they share its rounding; a bias that is a
 *   sum of many terms of both signs can be far smaller than its error scale — G's last bias);
 *   the second moments `nu` within twice that (a square doubles the relative error);
 * - the new params: within PARAM_TOLERANCE × max(|p'|, lr) where the gradient is settled
 *   (|g| ≥ SETTLED × its layer's largest |g|, ten times the gradient tolerance, so neither its
 *   sign nor g/(|g| + eps) is in doubt), and within 2·lr (one step each way, plus float32
 *   rounding of p') everywhere;
 * - one step counted by both, exactly.
 *
 * Measured on SwiftShader (worst, each relative as above; the test prints them): metrics
 * 1.7e-5 (grad_norm_g; grad_norm_d 3.0e-6, d_fake 1.8e-6, g_loss 1.8e-6), gradients 5.1e-6
 * (G's last bias), second moments 2.3e-6, settled params (84% of them) 2.9e-7, every param
 * 3.0e-5 absolute (0.15·lr, a near-zero gradient entry). The tolerances stand at the reference
 * cases' 1e-4 (../shared/reference/README.md), 6× the worst metric and 20× the worst gradient:
 * batch 64's reductions are 32× longer, and a GPU's exp, tanh and square root are not
 * SwiftShader's.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { createWebGPUBackend, type WebGPUBackend } from '../../../src/backend/webgpu/index.js';
import { loadWasmBackend } from '../../../src/backend/wasm/index.js';
import { withBackend } from '../../../src/backend/current.js';
import { isDeviceTensor, materialize } from '../../../src/core/device_tensor.js';
import { treeLeaves, treePaths } from '../../../src/core/pytree.js';
import { key, normal, split, type Key } from '../../../src/core/random.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { jit } from '../../../src/jit/index.js';
import { tanh } from '../../../src/ops/elementwise.js';
import type { AdamState } from '../../../src/optim/adam.js';
import { initTrainState, makeTrainCore, resolveTrainConfig, type TrainBatch, type TrainState } from '../../../src/train/index.js';
import type { Metrics } from '../../../src/train/metrics.js';
import type { OptimizerChoice } from '../../../src/train/config.js';
import { benchmarkGanConfig, tensorRandomness } from '../../../bench/helpers/benchmark_gan.js';
import { closeToScale } from '../../helpers/programs.js';
import { webgpuSkip } from '../../helpers/webgpu.js';

/** The batch: 2 in the suite; `PUREGAN_WEBGPU_STEP_BATCH=64` runs the benchmark's own batch (minutes on SwiftShader, for a GPU machine or a one-off check). */
const BATCH = batchFromEnv(process.env['PUREGAN_WEBGPU_STEP_BATCH']);

function batchFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 2;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`PUREGAN_WEBGPU_STEP_BATCH must be an integer >= 1, got "${raw}"`);
  return n;
}
const METRIC_TOLERANCE = 1e-4;
const GRAD_TOLERANCE = 1e-4;
const PARAM_TOLERANCE = 1e-4;
const SETTLED = 1e-3;

const spec = benchmarkGanConfig({ sn: false });
const config = resolveTrainConfig(spec);

/** The benchmark's Adam settings, checked to be what the comparison relies on (β₁ = 0, one lr for both players). */
function adamLr(choices: Readonly<{ g: OptimizerChoice; d: OptimizerChoice }>): number {
  const [g, d] = [choices.g, choices.d];
  assert.ok('name' in g && g.name === 'adam' && 'name' in d && d.name === 'adam', 'both players use an Adam spec');
  assert.ok(g.b1 === 0 && d.b1 === 0, "β₁ = 0, so Adam's first moment after one step is the gradient");
  assert.ok(typeof g.lr === 'number' && g.lr === d.lr, 'one constant learning rate');
  return g.lr;
}

/** `[path, tensor]` of every tensor leaf of `tree`, paths as `treePaths` writes them. */
const leaves = (tree: unknown): Array<[string, Tensor]> => {
  const ls = treeLeaves(tree);
  return treePaths(tree).map((p, i) => [p, ls[i] as Tensor]);
};

/** The Adam state of one player's optimiser (the chain's `{ count, mu, nu }`). */
const adamState = (opt: unknown): AdamState => {
  const s = (opt as readonly unknown[]).find((x) => typeof x === 'object' && x !== null && 'mu' in x);
  assert.ok(s !== undefined, 'the optimiser state holds an Adam state');
  return s as AdamState;
};

const maxAbs = (t: Tensor): number => t.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** The layer of a param path: `[5].bias` → `[5]`. */
const layerOf = (path: string): string => path.slice(0, path.lastIndexOf('.'));

/** Per layer, the largest |value| over its tensors (its weight's and its bias'). */
function layerScales(tensors: ReadonlyArray<[string, Tensor]>): Map<string, number> {
  const scales = new Map<string, number>();
  for (const [path, t] of tensors) scales.set(layerOf(path), Math.max(scales.get(layerOf(path)) ?? 0, maxAbs(t)));
  return scales;
}

/** max |a − b| elementwise. */
const maxAbsDiff = (a: Tensor, b: Tensor): number => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

type Run = Readonly<{ state: TrainState; metrics: Metrics }>;

describe('the benchmark GAN step jitted on the webgpu backend', { skip: webgpuSkip }, () => {
  let wasm: Run;
  let gpu: Run;
  let lr: number;
  let dispatches: number;

  before(async () => {
    lr = adamLr(spec.optimizers);
    const wasmBackend = await loadWasmBackend({ threads: 1 });
    // Its own device, with a read-back timeout for a whole step on a loaded CPU (SwiftShader).
    const made = await createWebGPUBackend({ readBackTimeoutMs: 600_000 });
    assert.ok(E.isRight(made), E.isLeft(made) ? made.left.message : '');
    const W: WebGPUBackend = made.right;
    try {
      const core = jit(makeTrainCore(config), { name: 'benchmark GAN step' });
      const [kInit, kReal, kNoise] = split(key(0), 3) as [Key, Key, Key];
      const state = initTrainState(config, kInit);
      const batch: TrainBatch = { real: [tanh(normal(kReal, [BATCH, 1, 28, 28]))] };
      const randomness = tensorRandomness(config, kNoise, BATCH);
      // wasm first: the step is traced there (by example, on wasm's eager kernels) and only compiled for WebGPU.
      const [wState, wMetrics] = withBackend(wasmBackend, () => core(state, batch, randomness));
      const dispatched = W.stats().dispatches;
      const onDevice = withBackend(W, () => core(state, batch, randomness));
      assert.ok(treeLeaves(onDevice).every(isDeviceTensor), 'the webgpu step returns device tensors');
      assert.ok(treeLeaves([wState, wMetrics]).every((l) => !isDeviceTensor(l)), 'the wasm step returns host tensors');
      const [gState, gMetrics] = await materialize(onDevice);
      dispatches = W.stats().dispatches - dispatched;
      assert.equal(core.stats().traces, 1, 'traced once, for both backends');
      wasm = { state: wState, metrics: wMetrics };
      gpu = { state: gState, metrics: gMetrics };
    } finally {
      await W.close();
      await wasmBackend.close();
    }
  });

  it('ran as one compiled program of the whole step on the device', () => {
    assert.ok(dispatches > 100, `${dispatches} dispatches`);
  });

  it(`gives the wasm step's metrics within ${METRIC_TOLERANCE} relative`, (t) => {
    assert.deepEqual(Object.keys(gpu.metrics).sort(), Object.keys(wasm.metrics).sort());
    for (const name of ['d_loss', 'd_real', 'd_fake', 'grad_norm_d', 'g_loss', 'grad_norm_g', 'finite']) assert.ok(name in wasm.metrics, name);
    assert.equal(wasm.metrics.finite!.data[0], 1, 'the wasm step was finite');
    const rels: string[] = [];
    for (const [name, want] of Object.entries(wasm.metrics)) {
      const [w, g] = [want.data[0]!, gpu.metrics[name]!.data[0]!];
      rels.push(`${name} ${(Math.abs(g - w) / Math.abs(w)).toExponential(1)}`);
      assert.ok(Math.abs(g - w) <= METRIC_TOLERANCE * Math.abs(w), `${name}: webgpu ${g}, wasm ${w}`);
    }
    t.diagnostic(`relative differences: ${rels.join(', ')}`);
  });

  it(`gives the gradients of D's and G's losses (Adam's first moments) within ${GRAD_TOLERANCE} of their layer's largest value, the second moments within twice that`, (t) => {
    const worst = { mu: [0, ''] as [number, string], nu: [0, ''] as [number, string] };
    for (const player of ['d', 'g'] as const) {
      const [w, g] = [adamState(wasm.state[player].opt), adamState(gpu.state[player].opt)];
      for (const [what, rel] of [['mu', GRAD_TOLERANCE], ['nu', 2 * GRAD_TOLERANCE]] as const) {
        const got = leaves(g[what]);
        const want = leaves(w[what]);
        assert.deepEqual(got.map(([p]) => p), want.map(([p]) => p));
        const layerScale = layerScales(want);
        want.forEach(([path, e], i) => {
          const a = got[i]![1];
          const [d, scale] = [maxAbsDiff(a, e), layerScale.get(layerOf(path))!];
          if (d / scale >= worst[what][0]) worst[what] = [d / scale, `${player}.${what}${path}`];
          assert.ok(closeToScale(a, e, { rel, abs: 0, scale }), `${player}.${what}${path}: max |Δ| ${d}, the layer's largest |value| ${scale}`);
        });
      }
      const weights = leaves(w.mu).filter(([p]) => p.endsWith('.weight'));
      assert.ok(weights.length === 3 && weights.every(([, e]) => maxAbs(e) > 0), `${player}: each of its 3 weights has a nonzero gradient`);
    }
    const show = ([r, at]: [number, string]): string => `${r.toExponential(1)} (${at})`;
    t.diagnostic(`worst max |Δ| / the layer's largest |value|: gradients ${show(worst.mu)}, second moments ${show(worst.nu)}`);
  });

  it(`moves each param as the wasm step does: within ${PARAM_TOLERANCE}·max(|p'|, lr) where the gradient is settled, within 2·lr everywhere`, (t) => {
    let [settled, total, worstSettled, worstAny] = [0, 0, 0, 0];
    for (const player of ['d', 'g'] as const) {
      const grads = leaves(adamState(wasm.state[player].opt).mu);
      const gradScale = layerScales(grads);
      const got = leaves(gpu.state[player].params);
      leaves(wasm.state[player].params).forEach(([path, want], i) => {
        const [a, grad] = [got[i]![1], grads[i]![1]];
        assert.equal(grads[i]![0], path, 'the first moments are laid out like the params');
        const bar = SETTLED * gradScale.get(layerOf(path))!;
        want.data.forEach((w, j) => {
          const d = Math.abs(a.data[j]! - w);
          const where = `${player}.params${path}[${j}]: webgpu ${a.data[j]}, wasm ${w}, gradient ${grad.data[j]}`;
          worstAny = Math.max(worstAny, d);
          assert.ok(d <= 2 * lr * (1 + 1e-3), where);
          if (bar > 0 && Math.abs(grad.data[j]!) >= bar) {
            settled++;
            const rel = d / Math.max(Math.abs(w), lr);
            worstSettled = Math.max(worstSettled, rel);
            assert.ok(rel <= PARAM_TOLERANCE, where);
          }
        });
        total += want.data.length;
      });
    }
    t.diagnostic(`settled: ${settled} of ${total}, worst ${worstSettled.toExponential(1)} of max(|p'|, lr); everywhere: worst ${worstAny.toExponential(1)} (${(worstAny / lr).toFixed(3)}·lr)`);
    assert.ok(settled >= 0.5 * total, `the settled params (${settled} of ${total}) are most of them`);
  });

  it('counts one step on both backends', () => {
    for (const run of [wasm, gpu]) {
      assert.equal(run.state.step.data[0], 1);
      const counts = (['d', 'g'] as const).flatMap((p) => leaves(run.state[p].opt).filter(([path]) => path.endsWith('count')));
      assert.ok(counts.length === 4 && counts.every(([, c]) => c.data[0] === 1), counts.map(([p, c]) => `${p} ${c.data[0]}`).join(', '));
    }
  });
});
