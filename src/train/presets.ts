import type { LayerSpec, RunConfig } from './run_config.js';

/**
 * The built-in runs, as plain `RunConfig` data: `puregan train --preset NAME` starts from one,
 * `--config FILE.json` overrides any field (`mergeConfig`), and the result is validated as a
 * whole (`resolveRunConfig`). New techniques add fields; a preset only names them.
 */

const every = (log: number, sample: number, checkpoint: number): RunConfig['every'] => ({ log, eval: 0, sample, checkpoint });

/** The spectral-norm field of D's weight layers: `{ spectral_norm: true }` with `sn`, else nothing. */
const snField = (opts: Readonly<{ sn: boolean }>): Readonly<{ spectral_norm?: true }> => (opts.sn ? { spectral_norm: true } : {});

/**
 * How a 2-D preset trains — two of the benchmark's variants (`bench/gaussian_gan.ts`): the
 * non-saturating loss, or the hinge loss with every D layer spectrally normalised and D's
 * output scaled by 20 (the benchmark's `SN_OUTPUT_GAIN`, which says why).
 */
type GaussiansTraining = 'nonsaturating' | 'hinge+sn';

/** D's output gain under hinge + SN, as `SN_OUTPUT_GAIN` in `bench/gaussian_gan.ts`. */
const SN_OUTPUT_GAIN = 20;

/**
 * The 2-D mixtures, as the mode-collapse benchmark (`bench/gaussian_gan.ts`) trains them:
 *   G: z [N, 8] → Linear(8 → w) → ReLU → Linear(w → w) → ReLU → Linear(w → 2)
 *   D: [N, 2] → Linear(2 → w) → LeakyReLU(0.2) → Linear(w → w) → LeakyReLU(0.2) → Linear(w → 1)
 *      (under hinge + SN: each Linear spectrally normalised, then × 20)
 * width w = 64, batch 128, 4,000 iterations (one D update, then one G update), Adam (0.5, 0.999)
 * at 2e-3 decayed linearly to 0 over the run. The schedule's length
 * is part of the preset: a run given more `--steps` trains on at learning rate 0 after 4,000, so
 * a longer run sets `optimizers` too. The data is a fixed set of 65,536 points of the mixture
 * (the benchmark draws fresh points each iteration). The README's "Mode collapse" section has
 * what each variant reaches.
 */
function gaussians(o: Readonly<{ name: string; mixture: 'ring8' | 'grid25' | 'grid100'; description: string; training: GaussiansTraining }>): RunConfig {
  const w = 64;
  const steps = 4000;
  const hinge = o.training === 'hinge+sn';
  const sn = snField({ sn: hinge });
  const lr = { schedule: 'linear', init: 2e-3, end: 0, transitionSteps: steps } as const;
  return {
    preset: o.name,
    description: o.description,
    data: { source: 'gaussians', mixture: o.mixture, samples: 65536 },
    latent: { dim: 8, prior: 'normal' },
    generator: [
      { type: 'linear', in: 8, out: w },
      { type: 'relu' },
      { type: 'linear', in: w, out: w },
      { type: 'relu' },
      { type: 'linear', in: w, out: 2 },
    ],
    discriminator: [
      { type: 'linear', in: 2, out: w, ...sn },
      { type: 'leaky_relu', slope: 0.2 },
      { type: 'linear', in: w, out: w, ...sn },
      { type: 'leaky_relu', slope: 0.2 },
      { type: 'linear', in: w, out: 1, ...sn },
      ...(hinge ? [{ type: 'scale', factor: SN_OUTPUT_GAIN }] : []),
    ],
    loss: hinge ? 'hinge' : 'nonsaturating',
    regularizers: {},
    nDis: 1,
    optimizers: { g: { name: 'adam', lr, b1: 0.5, b2: 0.999 }, d: { name: 'adam', lr, b1: 0.5, b2: 0.999 } },
    steps,
    batchSize: 128,
    seed: 0,
    every: every(50, 500, 500),
    keep: 3,
    samples: 1024,
  };
}

/**
 * DCGAN-style MNIST networks at 28×28 (z [N, zDim], zDim = 64 unless a technique appends to it):
 *   G: [Linear(zDim → h) → BN → ReLU] → Linear(· → 2w·7·7) → Reshape [2w, 7, 7] → BN → ReLU
 *      → ConvT(2w → w, k4 s2 p1) [14×14] → BN → ReLU → ConvT(w → 1, k4 s2 p1) [28×28] → Tanh
 *   D: Conv(1 → w, k4 s2 p1) [14×14] → LeakyReLU(0.2) → Conv(w → 2w, k4 s2 p1) [7×7]
 *      → (BN) → LeakyReLU(0.2) → Flatten → [Linear(2w·49 → h) → (BN) → LeakyReLU(0.2)]
 *      → Linear(· → 1)
 * The bracketed layers are there with `hidden: h`: a fully connected layer of h units between
 * the code and the first feature map in G, and between the last feature map and the heads in D,
 * as InfoGAN's MNIST networks have (Chen et al. 2016, appendix C.1, with 1,024 units).
 * `sn` wraps every D weight layer in spectral norm (and drops D's batch norm, as SNGAN does).
 */
type MnistNetOptions = Readonly<{ hidden?: number }>;

function mnistGenerator(w: number, opts: MnistNetOptions & Readonly<{ zDim?: number }> = {}): LayerSpec[] {
  const zDim = opts.zDim ?? 64;
  const h = opts.hidden;
  return [
    ...(h === undefined ? [] : [{ type: 'linear', in: zDim, out: h }, { type: 'batch_norm', features: h }, { type: 'relu' }]),
    { type: 'linear', in: h ?? zDim, out: 2 * w * 49 },
    { type: 'reshape', shape: [2 * w, 7, 7] },
    { type: 'batch_norm', features: 2 * w },
    { type: 'relu' },
    { type: 'conv_transpose2d', in: 2 * w, out: w, kernel: 4, stride: 2, padding: 1 },
    { type: 'batch_norm', features: w },
    { type: 'relu' },
    { type: 'conv_transpose2d', in: w, out: 1, kernel: 4, stride: 2, padding: 1 },
    { type: 'tanh' },
  ];
}

/** D up to its features `[N, 2w·49]` (or `[N, h]` with `hidden: h`), without the output layer: the trunk the heads of ACGAN and InfoGAN share. */
function mnistTrunk(w: number, opts: MnistNetOptions & Readonly<{ bn: boolean; sn: boolean }>): LayerSpec[] {
  const sn = snField(opts);
  const h = opts.hidden;
  return [
    { type: 'conv2d', in: 1, out: w, kernel: 4, stride: 2, padding: 1, ...sn },
    { type: 'leaky_relu', slope: 0.2 },
    { type: 'conv2d', in: w, out: 2 * w, kernel: 4, stride: 2, padding: 1, ...sn },
    ...(opts.bn ? [{ type: 'batch_norm', features: 2 * w }] : []),
    { type: 'leaky_relu', slope: 0.2 },
    { type: 'flatten' },
    ...(h === undefined
      ? []
      : [{ type: 'linear', in: 2 * w * 49, out: h, ...sn }, ...(opts.bn ? [{ type: 'batch_norm', features: h }] : []), { type: 'leaky_relu', slope: 0.2 }]),
  ];
}

/** The width of the trunk's features: 2w·49, or h with a hidden layer. */
const trunkFeatures = (w: number, opts: MnistNetOptions): number => opts.hidden ?? 2 * w * 49;

function mnistDiscriminator(w: number, opts: MnistNetOptions & Readonly<{ bn: boolean; sn: boolean }>): LayerSpec[] {
  return [...mnistTrunk(w, opts), { type: 'linear', in: trunkFeatures(w, opts), out: 1, ...snField(opts) }];
}

/**
 * ACGAN on MNIST (Odena et al. 2017): G gets a learned 10 → 16 label embedding concatenated
 * with z (`[N, 64] → [N, 80]`) ahead of the DCGAN generator; D is the DCGAN trunk up to its
 * flattened features `[N, 2w·49]` with two heads, the adversarial logit (Linear → 1) and the
 * auxiliary classifier (Linear → 10): output `[N, 11]`. The classifier learns from real digits
 * only (`fakeWeight: 0`): trained on the fakes too, as in the paper, it also learns the marks G
 * puts on each class, and G satisfies it with samples a real-digit classifier does not read as
 * that class (the README's ACGAN measurements).
 */
function mnistAcgan(w: number): Pick<RunConfig, 'generator' | 'discriminator' | 'heads' | 'conditioning' | 'acgan'> {
  const features = trunkFeatures(w, {});
  return {
    generator: [{ type: 'label_embedding', classes: 10, dim: 16 }, ...mnistGenerator(w, { zDim: 64 + 16 })],
    discriminator: mnistTrunk(w, { bn: true, sn: false }),
    heads: [[{ type: 'linear', in: features, out: 1 }], [{ type: 'linear', in: features, out: 10 }]],
    conditioning: { classes: 10 },
    acgan: { weight: 1, fakeWeight: 0 },
  };
}

/**
 * Units of the spectrally normalised fully connected layer at the end of the SN-GAN preset's D
 * trunk (`Linear(3,136 → h) → LeakyReLU`, before the logit). Without it D is two convolutions
 * and a linear logit, each 1-Lipschitz, and too weak to tell the last blurred strokes from real
 * ones; with 128 units the step costs about 15% more and the run ends far closer to the real
 * digits (512 units ended level with 128, trailed it on the way and cost 1.6× the step; the
 * README's tuning section).
 */
const SNGAN_D_HIDDEN = 128;

/**
 * Units of the fully connected layer of the InfoGAN preset's G and D: the paper's 1,024. At half
 * that width the code matched the digit at one seed in two (the README's InfoGAN table).
 */
const INFOGAN_HIDDEN = 1024;

/**
 * InfoGAN on MNIST (Chen et al. 2016): a categorical code of 10 values and 2 continuous codes
 * appended to z (`[N, 64 + 10 + 2]` into the DCGAN generator with a hidden layer of
 * `INFOGAN_HIDDEN` units); D is the DCGAN trunk (with batch norm) and its hidden layer, features
 * `[N, h]`, with two heads, the adversarial logit (Linear → 1) and Q (Linear → 128 → BN →
 * LeakyReLU(0.2) → Linear → 10 + 2: the categorical code's logits, then the continuous codes'
 * means), so D's output is `[N, 13]`. These are the paper's networks (appendix C.1) with the
 * convolutions at half their channels. Q's params are in D's tree, so D's optimiser updates Q
 * (`Techniques.infogan` says why). L_I has weight 2, not the paper's 1: at the 12-minute budget
 * the code matched the digit better (the README's tuning table).
 */
function mnistInfogan(w: number): Pick<RunConfig, 'generator' | 'discriminator' | 'heads' | 'infogan'> {
  const net = { hidden: INFOGAN_HIDDEN };
  const features = trunkFeatures(w, net);
  return {
    generator: mnistGenerator(w, { ...net, zDim: 64 + 10 + 2 }),
    discriminator: mnistTrunk(w, { ...net, bn: true, sn: false }),
    heads: [
      [{ type: 'linear', in: features, out: 1 }],
      [
        { type: 'linear', in: features, out: 128 },
        { type: 'batch_norm', features: 128 },
        { type: 'leaky_relu', slope: 0.2 },
        { type: 'linear', in: 128, out: 10 + 2 },
      ],
    ],
    infogan: { categorical: [10], continuous: 2, weight: 2 },
  };
}

/**
 * The MNIST presets' step counts: each is the 12-minute budget of issue 14 on 2 threads of this
 * project's 2-core machines, evaluations included (`steps × step time + evaluations ≤ 720 s`;
 * the README's "Tuning the MNIST presets" has the step times): the presets' step times differ
 * with their heads (InfoGAN's Q) and, for WGAN-GP, its five critic steps with a gradient penalty.
 * InfoGAN's 4,500 take longer since its networks gained the paper's 1,024-unit layers (the
 * README's InfoGAN table has their time); they stay at 4,500, the count that table was measured
 * at (issue 14 sets the 12 minutes for the SN-GAN preset, and none for InfoGAN's code).
 */
const MNIST_STEPS = { sngan: 6000, dcgan: 6500, acgan: 6000, infogan: 4500, wganGp: 1900 } as const;

function mnist(
  name: string,
  description: string,
  fields: Pick<RunConfig, 'discriminator' | 'loss' | 'regularizers' | 'nDis' | 'optimizers' | 'steps'> &
    Partial<Pick<RunConfig, 'generator' | 'heads' | 'conditioning' | 'acgan' | 'infogan' | 'every' | 'ema'>>,
): RunConfig {
  return {
    preset: name,
    description,
    data: { source: 'mnist', size: 28 },
    latent: { dim: 64, prior: 'normal' },
    generator: mnistGenerator(32),
    every: { ...every(50, 1000, 1000), eval: 1000 },
    ...fields,
    batchSize: 64,
    seed: 0,
    keep: 3,
    samples: 64,
  };
}

const adam = (lr: number, b1: number, b2: number) => ({ name: 'adam', lr, b1, b2 }) as const;

/** A unit count as the descriptions write it (1,024), so a description follows its constant. */
const units = (n: number): string => n.toLocaleString('en-US');

/** DCGAN's training (Radford et al. 2016): non-saturating loss, one D step, Adam 2e-4 (0.5, 0.999) for both; ACGAN and InfoGAN train the same way. */
const DCGAN_TRAINING = {
  loss: 'nonsaturating',
  regularizers: {},
  nDis: 1,
  optimizers: { g: adam(2e-4, 0.5, 0.999), d: adam(2e-4, 0.5, 0.999) },
} as const satisfies Pick<RunConfig, 'loss' | 'regularizers' | 'nDis' | 'optimizers'>;

export const PRESETS: Readonly<Record<string, RunConfig>> = {
  'gaussians-8': gaussians({
    name: 'gaussians-8',
    mixture: 'ring8',
    description: '2-D ring of 8 Gaussians (mode-collapse benchmark), MLP GAN of width 64, non-saturating loss, 4,000 iterations of batch 128, Adam 2e-3 decayed linearly to 0',
    training: 'nonsaturating',
  }),
  'gaussians-25': gaussians({
    name: 'gaussians-25',
    mixture: 'grid25',
    description: '2-D 5×5 grid of 25 Gaussians (PacGAN benchmark), MLP GAN of width 64, hinge loss + spectral norm on D (output × 20), 4,000 iterations of batch 128, Adam 2e-3 decayed linearly to 0',
    training: 'hinge+sn',
  }),
  'gaussians-100': gaussians({
    name: 'gaussians-100',
    mixture: 'grid100',
    description: '2-D 10×10 grid of 100 Gaussians, MLP GAN of width 64, hinge loss + spectral norm on D (output × 20), 4,000 iterations of batch 128, Adam 2e-3 decayed linearly to 0',
    training: 'hinge+sn',
  }),
  'mnist-dcgan': mnist('mnist-dcgan', 'MNIST digits, DCGAN with batch norm, non-saturating loss, Adam 2e-4 (0.5, 0.999)', {
    discriminator: mnistDiscriminator(32, { bn: true, sn: false }),
    ...DCGAN_TRAINING,
    steps: MNIST_STEPS.dcgan,
  }),
  'mnist-sngan': mnist('mnist-sngan', `MNIST digits, hinge loss + spectral norm on D (with a ${units(SNGAN_D_HIDDEN)}-unit fully connected layer before its logit), Adam 3.2e-3 (0, 0.9) for both, nDis 1 (set "nDis" to change), samples from an EMA of G (decay 0.999 from step 1,000)`, {
    discriminator: mnistDiscriminator(32, { bn: false, sn: true, hidden: SNGAN_D_HIDDEN }),
    loss: 'hinge',
    regularizers: {},
    nDis: 1,
    // 16× the SNGAN paper's 2e-4: at the 12-minute budget the run is far from converged, and
    // with every D layer spectrally normalised the larger steps stay stable; the EMA of G
    // averages out the live G's step-to-step noise at this rate (the README's tuning section
    // has the learning rates, schedules and EMAs tried and what each reached).
    optimizers: { g: adam(3.2e-3, 0, 0.9), d: adam(3.2e-3, 0, 0.9) },
    ema: { decay: 0.999, start: 1000 },
    steps: MNIST_STEPS.sngan,
  }),
  'mnist-wgan-gp': mnist('mnist-wgan-gp', 'MNIST digits, WGAN-GP (gradient penalty 10, nDis 5, no batch norm in D), Adam 1e-4 (0, 0.9)', {
    steps: MNIST_STEPS.wganGp,
    every: { ...every(25, 500, 500), eval: 500 },
    discriminator: mnistDiscriminator(32, { bn: false, sn: false }),
    loss: 'wasserstein',
    regularizers: { gradientPenalty: { weight: 10 } },
    nDis: 5,
    optimizers: { g: adam(1e-4, 0, 0.9), d: adam(1e-4, 0, 0.9) },
  }),
  'mnist-acgan': mnist('mnist-acgan', 'MNIST digits, class-conditional ACGAN (label embedding on z, auxiliary classifier head on D trained on real digits), non-saturating, Adam 2e-4 (0.5, 0.999)', {
    ...mnistAcgan(32),
    ...DCGAN_TRAINING,
    steps: MNIST_STEPS.acgan,
  }),
  'mnist-infogan': mnist('mnist-infogan', `MNIST digits, InfoGAN (a 10-value categorical and 2 continuous codes, a ${units(INFOGAN_HIDDEN)}-unit layer in G and D as the paper's networks, Q head on D's trunk, L_I weight 2), non-saturating, Adam (0.5, 0.999) at 1e-3 for G and 2e-4 for D (the paper's rates)`, {
    ...mnistInfogan(32),
    ...DCGAN_TRAINING,
    optimizers: { g: adam(1e-3, 0.5, 0.999), d: adam(2e-4, 0.5, 0.999) },
    steps: MNIST_STEPS.infogan,
  }),
};

export const PRESET_NAMES = Object.keys(PRESETS);
