/**
 * Train a small MLP GAN on the ring of 8 Gaussians (radius 2, std 0.02) and report PacGAN's
 * mode metrics on 2,500 samples of the EMA generator. (bench/gaussian_gan.ts and
 * scripts/gaussians_benchmark.ts train longer; see the README's mode-collapse table.)
 */
import { data, init, nn, optim, random, train } from 'puregan';

await init();
const mlp = (out: number, act: () => nn.AnyLayer): nn.AnyLayer =>
  nn.sequential(nn.Linear(128), act(), nn.Linear(128), act(), nn.Linear(out)) as nn.AnyLayer;

const steps = 400;
const adam = () => optim.adam(optim.linearSchedule({ init: 3e-3, end: 0, transitionSteps: steps }), { b1: 0.5 });
const config: train.TrainConfig = {
  generator: mlp(2, nn.ReLU),
  discriminator: mlp(1, () => nn.LeakyReLU(0.2)),
  latent: { dim: 8, prior: 'normal' },
  dataShape: [2],
  loss: 'nonsaturating',
  ema: { decay: 0.99 },
  optimizers: { g: adam(), d: adam() }, // learning rates decayed linearly to 0
};

const step = train.makeTrainStep(config);
const [kInit, kData, kStep, kEval] = random.split(random.key(0), 4) as random.Key[];
let state = train.initTrainState(config, kInit!);
const dataKeys = random.split(kData!, steps);
const stepKeys = random.split(kStep!, steps);
for (let i = 0; i < steps; i++) {
  const real = data.sampleMixture(data.ring8, dataKeys[i]!, 256);
  let metrics: train.Metrics;
  [state, metrics] = step(state, { real: [real] }, stepKeys[i]!);
  if (i % 100 === 99) console.log(`step ${i + 1}`, train.readMetrics(metrics));
}

const samples = train.sampleGenerator(config, state, random.normal(kEval!, [data.MODE_METRIC_SAMPLES, 8]));
const m = data.modeMetrics(data.ring8, samples);
console.log(`modes ${m.modesCovered}/${m.modes}, high quality ${(100 * m.highQualityFraction).toFixed(1)}%, KL ${m.klFromUniform.toFixed(3)}`);
if (m.modesCovered < 5) throw new Error(`only ${m.modesCovered} of 8 modes after ${steps} steps`);
