/**
 * The benchmark GAN's training iteration in TensorFlow.js on its wasm backend, written as a
 * TF.js user would (NHWC, `tf.train.adam`, `optimizer.minimize`), for `bench/gan_step.ts`:
 *
 *   G: z[64] → dense(64 → 128·7·7) → relu → reshape [7, 7, 128] → conv2dTranspose(128 → 64, k4 s2 p1)
 *      → relu → conv2dTranspose(64 → 1, k4 s2 p1) → tanh → [64, 28, 28, 1]
 *   D: conv2d(1 → 64, k4 s2 p1) → leakyRelu(0.2) → conv2d(64 → 128, k4 s2 p1) → leakyRelu(0.2)
 *      → flatten → dense(6272 → 1)
 *
 * batch 64, hinge loss, Adam(2e-4, β₁ = 0, β₂ = 0.9, ε = 1e-8) for each player, one D step then
 * one G step. The filter gradients come from `tfjs_conv_grads.ts` (the wasm backend has no
 * kernel for them). In Node the wasm backend runs on one thread (it reports no multithread
 * support there).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerConvFilterGradients } from './tfjs_conv_grads.js';

export type TfjsBackendInfo = Readonly<{ version: string; simd: boolean; threads: number }>;

/** Selects TF.js's wasm backend, its .wasm files read from node_modules; registers the filter gradients. */
export async function initTfjsWasm(): Promise<TfjsBackendInfo> {
  const require = createRequire(import.meta.url);
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  setWasmPaths(dist);
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js: the wasm backend did not initialise');
  await tf.ready();
  registerConvFilterGradients();
  return { version: tf.version.tfjs, simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: getThreadsCount() };
}

const uniform = (shape: number[], fanIn: number): tf.Variable => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', 1));

/** One training iteration of the benchmark GAN (`step`), and `dispose` to free its variables. */
export type TfjsGanStep = Readonly<{ step: () => void; dispose: () => void }>;

export function makeTfjsGanStep(batch = 64): TfjsGanStep {
  const g = {
    w1: uniform([64, 128 * 7 * 7], 64), b1: uniform([128 * 7 * 7], 64),
    // conv2dTranspose filters are [kh, kw, out, in].
    w2: uniform([4, 4, 64, 128], 128 * 16), b2: uniform([64], 128 * 16),
    w3: uniform([4, 4, 1, 64], 64 * 16), b3: uniform([1], 64 * 16),
  };
  const d = {
    w1: uniform([4, 4, 1, 64], 16), b1: uniform([64], 16),
    w2: uniform([4, 4, 64, 128], 64 * 16), b2: uniform([128], 64 * 16),
    w3: uniform([6272, 1], 6272), b3: uniform([1], 6272),
  };
  const G = (z: tf.Tensor2D): tf.Tensor4D => {
    const h = tf.reshape(tf.relu(tf.add(tf.matMul(z, g.w1), g.b1)), [batch, 7, 7, 128]) as tf.Tensor4D;
    const h2 = tf.relu(tf.add(tf.conv2dTranspose(h, g.w2 as tf.Tensor4D, [batch, 14, 14, 64], 2, 1), g.b2)) as tf.Tensor4D;
    return tf.tanh(tf.add(tf.conv2dTranspose(h2, g.w3 as tf.Tensor4D, [batch, 28, 28, 1], 2, 1), g.b3)) as tf.Tensor4D;
  };
  const D = (x: tf.Tensor4D): tf.Tensor2D => {
    const h = tf.leakyRelu(tf.add(tf.conv2d(x, d.w1 as tf.Tensor4D, 2, 1), d.b1), 0.2) as tf.Tensor4D;
    const h2 = tf.leakyRelu(tf.add(tf.conv2d(h, d.w2 as tf.Tensor4D, 2, 1), d.b2), 0.2);
    return tf.add(tf.matMul(tf.reshape(h2, [batch, 6272]), d.w3), d.b3) as tf.Tensor2D;
  };
  const dOpt = tf.train.adam(2e-4, 0, 0.9, 1e-8);
  const gOpt = tf.train.adam(2e-4, 0, 0.9, 1e-8);
  const real = tf.keep(tf.tanh(tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 2)));
  const dVars = Object.values(d), gVars = Object.values(g);
  let seed = 3;
  const step = (): void => {
    const z1 = tf.randomNormal([batch, 64], 0, 1, 'float32', seed++) as tf.Tensor2D;
    const z2 = tf.randomNormal([batch, 64], 0, 1, 'float32', seed++) as tf.Tensor2D;
    const fake = tf.tidy(() => G(z1));
    const dLoss = dOpt.minimize(
      () => tf.add(tf.mean(tf.relu(tf.sub(1, D(real as tf.Tensor4D)))), tf.mean(tf.relu(tf.add(1, D(fake))))) as tf.Scalar,
      true,
      dVars,
    );
    const gLoss = gOpt.minimize(() => tf.neg(tf.mean(D(G(z2)))) as tf.Scalar, true, gVars);
    // Reading the losses waits for the step, as puregan's step returns its metrics.
    dLoss!.dataSync();
    gLoss!.dataSync();
    tf.dispose([z1, z2, fake, dLoss!, gLoss!]);
  };
  return {
    step,
    dispose: () => {
      tf.dispose([...dVars, ...gVars, real]);
      dOpt.dispose();
      gOpt.dispose();
    },
  };
}
