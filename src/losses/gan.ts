import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { relu } from '../ops/activations.js';
import { add, mul, neg, softplus, square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';

/**
 * GAN losses on raw discriminator outputs (logits for the BCE-based ones), in stable forms:
 * −log σ(x) = softplus(−x) and −log(1 − σ(x)) = softplus(x). Each loss is a pair of functions
 * of (real, fake) outputs, for the discriminator (to minimise) and the generator (to minimise).
 */
export type LossOptions = Readonly<{
  /** Target for real samples in the BCE losses (one-sided label smoothing uses 0.9). */
  realLabel?: number;
  /** Target for fake samples in the BCE losses (0 normally). */
  fakeLabel?: number;
  /** EBGAN's margin m. */
  margin?: number;
}>;

export type GanLoss = Readonly<{
  d(real: Tensor, fake: Tensor, opts?: LossOptions): Tensor;
  g(real: Tensor, fake: Tensor, opts?: LossOptions): Tensor;
}>;

/** Binary cross-entropy of logits x against target y: y·softplus(−x) + (1 − y)·softplus(x), averaged. */
export function bceWithLogits(x: Tensor, target: number): Tensor {
  if (!(target >= 0 && target <= 1)) throw new ValueError(`BCE target must be in [0, 1], got ${target}`);
  const pos = target === 0 ? undefined : mul(softplus(neg(x)), target);
  const negPart = target === 1 ? undefined : mul(softplus(x), 1 - target);
  return mean(pos && negPart ? add(pos, negPart) : (pos ?? negPart)!);
}

export const GAN_LOSSES = {
  /**
   * Original minimax GAN (Goodfellow et al. 2014): D minimises BCE(D(x), 1) + BCE(D(G(z)), 0);
   * G minimises E[log(1 − D(G(z)))] (saturating: vanishing gradients when D wins).
   */
  minimax: {
    d: (r, f, o) => add(bceWithLogits(r, o?.realLabel ?? 1), bceWithLogits(f, o?.fakeLabel ?? 0)),
    g: (_r, f) => neg(mean(softplus(f))),
  },
  /** Non-saturating GAN: same D; G minimises −E[log D(G(z))] = E[softplus(−D(G(z)))]. */
  nonsaturating: {
    d: (r, f, o) => add(bceWithLogits(r, o?.realLabel ?? 1), bceWithLogits(f, o?.fakeLabel ?? 0)),
    g: (_r, f) => mean(softplus(neg(f))),
  },
  /** WGAN (Arjovsky et al. 2017): critic minimises E[D(G(z))] − E[D(x)]; G minimises −E[D(G(z))]. */
  wasserstein: {
    d: (r, f) => sub(mean(f), mean(r)),
    g: (_r, f) => neg(mean(f)),
  },
  /** Hinge loss (SN-GAN, BigGAN): D minimises E[relu(1 − D(x))] + E[relu(1 + D(G(z)))]; G: −E[D(G(z))]. */
  hinge: {
    d: (r, f) => add(mean(relu(sub(1, r))), mean(relu(add(1, f)))),
    g: (_r, f) => neg(mean(f)),
  },
  /** LSGAN (Mao et al. 2017, a = 0, b = c = 1): D: ½E[(D(x) − 1)²] + ½E[D(G(z))²]; G: ½E[(D(G(z)) − 1)²]. */
  least_squares: {
    d: (r, f) => add(mul(mean(square(sub(r, 1))), 0.5), mul(mean(square(f)), 0.5)),
    g: (_r, f) => mul(mean(square(sub(f, 1))), 0.5),
  },
  /**
   * EBGAN (Zhao et al. 2017): D outputs an energy E ≥ 0 (e.g. an autoencoder's reconstruction
   * error). D: E[E(x)] + E[relu(m − E(G(z)))]; G: E[E(G(z))]. Margin m defaults to 1.
   */
  ebgan: {
    d: (r, f, o) => add(mean(r), mean(relu(sub(o?.margin ?? 1, f)))),
    g: (_r, f) => mean(f),
  },
  /**
   * Relativistic average GAN (Jolicoeur-Martineau 2018): D: BCE(D(x) − E[D(G(z))], 1) +
   * BCE(D(G(z)) − E[D(x)], 0); G: the same with the labels swapped.
   */
  relativistic: {
    d: (r, f) => add(bceWithLogits(sub(r, mean(f)), 1), bceWithLogits(sub(f, mean(r)), 0)),
    g: (r, f) => add(bceWithLogits(sub(f, mean(r)), 1), bceWithLogits(sub(r, mean(f)), 0)),
  },
} as const satisfies Record<string, GanLoss>;

export type GanLossName = keyof typeof GAN_LOSSES;
export const GAN_LOSS_NAMES = Object.keys(GAN_LOSSES) as GanLossName[];

export function ganLoss(name: string): GanLoss {
  if (!(name in GAN_LOSSES)) throw new ValueError(`unknown GAN loss "${name}"; expected one of: ${GAN_LOSS_NAMES.join(', ')}`);
  return GAN_LOSSES[name as GanLossName];
}
