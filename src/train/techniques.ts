import type { GanLossName } from '../losses/gan.js';
import type { AnyLayer } from '../nn/layer.js';
import { Pack } from '../nn/pack.js';
import { sequential } from '../nn/layer.js';
import type { Schedule } from '../optim/transform.js';

/**
 * The GAN techniques a `TrainConfig` can switch on beyond the loss and its regularisers
 * (issue 10), as the user writes them. Each is validated with the rest of the config (every
 * problem listed) and resolved into `ResolvedTechniques`.
 */
export type Techniques = Readonly<{
  /**
   * Class-conditional training over `classes` classes: `batch.labels` (one `[N]` tensor of
   * class ids per real batch) accompanies `batch.real`; D sees the real labels through
   * `ctx.labels`, G and D see uniformly drawn fake labels for the fakes.
   */
  conditioning?: Readonly<{ classes: number }>;
  /**
   * ACGAN (Odena et al. 2017), needs `conditioning`: D's output is `[N, 1 + classes]` (column 0
   * the adversarial logit, the rest an auxiliary classifier on D's trunk: `withHeads`). D adds
   * weight·(CE(aux(real), y) + fakeWeight·CE(aux(fake), y_fake)), G adds weight·CE(aux(G(z, y)), y).
   * `fakeWeight` (default 1, the paper's) at 0 trains the auxiliary classifier on real digits
   * only: with it at 1, D's classifier also learns whatever G uses to mark a class on its fakes,
   * so G can satisfy it with marks a real-data classifier does not read as that class.
   */
  acgan?: Readonly<{ weight: number; fakeWeight?: number }>;
  /**
   * InfoGAN (Chen et al. 2016): latent codes appended to z (G's input is
   * `[N, latent.dim + Σ categorical + continuous]`: noise, one one-hot block per categorical
   * code, continuous codes ~ U(−1, 1)), and a Q head on D's trunk whose outputs follow the
   * adversarial logit (and ACGAN's classes): one block of logits per categorical code, then the
   * means of the continuous codes. The mutual-information bound is L_I = Σ CE(Q_cat, c_cat) +
   * ½·mean Σ (Q_cont − c_cont)² (a unit-variance Gaussian Q); both players minimise
   * weight·L_I. Q's params are part of D's param tree (it shares D's trunk), so **D's
   * optimiser updates Q**, in the D step, on the detached fake batch; G's optimiser updates G
   * on L_I through G(z, c) in the G step. Putting Q in D's tree keeps one optimiser per
   * network and lets the trunk's features serve both heads, as in the paper's code.
   */
  infogan?: Readonly<{ categorical?: readonly number[]; continuous?: number; weight: number }>;
  /**
   * Per-sample noisy targets for the BCE losses (minimax, nonsaturating): each real sample's
   * target ~ U(real[0], real[1]), each fake's ~ U(fake[0], fake[1]) (default [0, 0]); both
   * ranges within [0, 1] (a target above 1 makes BCE unbounded below).
   */
  noisyLabels?: Readonly<{ real: readonly [number, number]; fake?: readonly [number, number] }>;
  /** Label flipping for the BCE losses: each D-step sample's target swaps real ↔ fake with this probability. */
  labelFlip?: Readonly<{ probability: number }>;
  /**
   * Instance noise (Sønderby et al. 2017): D's inputs, real and fake, in both steps, get
   * σ(t)·N(0, 1) added, σ a number or a schedule of the iteration count t (anneal it to 0).
   */
  instanceNoise?: Readonly<{ sigma: number | Schedule }>;
  /**
   * A replay buffer of past fakes (Shrivastava et al. 2017) in the train state: each D step
   * replaces round(fraction·N) of its fake batch by samples drawn uniformly from the buffer
   * (once it holds any) and writes its fresh fakes into the buffer, oldest first, never beyond
   * `capacity`.
   */
  replay?: Readonly<{ capacity: number; fraction: number }>;
  /**
   * EMA of G's params (Yazıcı et al. 2019): after each G update, ema ← decay·ema +
   * (1 − decay)·params from iteration `start` on (before it, ema = params). Layer state (batch
   * norm running statistics, SN vectors) is not averaged: the EMA generator uses the live G's
   * state (`sampleGenerator`).
   */
  ema?: Readonly<{ decay: number; start?: number }>;
  /** PacGAN packing (Lin et al. 2018): D is applied after `Pack(pack)`; it is built for m·C channels. */
  pack?: number;
  /** The batch size, if known up front, so that the config check can test it against `pack`. */
  batchSize?: number;
}>;

/** The layout of D's output columns: `[adversarial | ACGAN classes | InfoGAN categorical blocks | InfoGAN continuous]`. */
export type OutputLayout = Readonly<{ classes: number; categorical: readonly number[]; continuous: number }>;

export type ResolvedTechniques = Readonly<{
  classes?: number;
  acganWeight?: number;
  /** The weight of D's auxiliary CE on the fakes, relative to the real one (`acgan.fakeWeight`, default 1). */
  acganFakeWeight?: number;
  infogan?: Readonly<{ categorical: readonly number[]; continuous: number; weight: number }>;
  /** Whether the D step takes per-sample targets (noisy labels or flipping). */
  noisyLabels?: Readonly<{ real: readonly [number, number]; fake: readonly [number, number] }>;
  flipProbability?: number;
  instanceNoise?: Schedule;
  replay?: Readonly<{ capacity: number; fraction: number }>;
  ema?: Readonly<{ decay: number; start: number }>;
  pack: number;
  /** The size of the code block InfoGAN appends to z (0 without InfoGAN). */
  codeDim: number;
  layout: OutputLayout;
}>;

const BCE_LOSSES: readonly string[] = ['minimax', 'nonsaturating'];
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isPosInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 1;

function checkRange(r: unknown, where: string, problems: string[]): r is readonly [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !isNum(r[0]) || !isNum(r[1])) {
    problems.push(`${where}: expected a range [lo, hi], got ${JSON.stringify(r)}`);
    return false;
  }
  const [lo, hi] = r as [number, number];
  if (!(lo >= 0 && hi <= 1 && lo <= hi)) {
    problems.push(`${where}: the BCE target range must satisfy 0 <= lo <= hi <= 1 (a target above 1 makes BCE unbounded below), got [${lo}, ${hi}]`);
    return false;
  }
  return true;
}

/**
 * Checks the techniques of a config (listing every problem into `problems`) and resolves them.
 * `loss` is the config's loss (a name or a user's loss); `discriminatorOutput` D's per-sample
 * output shape when it could be computed (to check the ACGAN/InfoGAN head layout).
 */
export function resolveTechniques(t: Techniques, opts: Readonly<{ loss: unknown; problems: string[] }>): ResolvedTechniques {
  const { problems } = opts;
  const bce = typeof opts.loss === 'string' && BCE_LOSSES.includes(opts.loss as GanLossName);
  let classes: number | undefined;
  if (t.conditioning !== undefined) {
    if (isPosInt(t.conditioning.classes) && t.conditioning.classes >= 2) classes = t.conditioning.classes;
    else problems.push(`conditioning.classes: must be an integer >= 2, got ${String(t.conditioning.classes)}`);
  }
  let acganWeight: number | undefined;
  let acganFakeWeight: number | undefined;
  if (t.acgan !== undefined) {
    if (t.conditioning === undefined) problems.push('acgan: the auxiliary classifier needs class labels: set conditioning: { classes }');
    if (isNum(t.acgan.weight) && t.acgan.weight >= 0) acganWeight = t.acgan.weight;
    else problems.push(`acgan.weight: must be a finite number >= 0, got ${String(t.acgan.weight)}`);
    const fw = t.acgan.fakeWeight ?? 1;
    if (isNum(fw) && fw >= 0) acganFakeWeight = fw;
    else problems.push(`acgan.fakeWeight: must be a finite number >= 0, got ${String(t.acgan.fakeWeight)}`);
  }
  let infogan: ResolvedTechniques['infogan'];
  if (t.infogan !== undefined) {
    const cat = t.infogan.categorical ?? [];
    const cont = t.infogan.continuous ?? 0;
    const okCat = Array.isArray(cat) && cat.every((k) => isPosInt(k) && k >= 2);
    if (!okCat) problems.push(`infogan.categorical: each categorical code needs an integer number of values >= 2, got ${JSON.stringify(cat)}`);
    const okCont = Number.isSafeInteger(cont) && cont >= 0;
    if (!okCont) problems.push(`infogan.continuous: must be an integer >= 0, got ${String(cont)}`);
    if (okCat && okCont && cat.length === 0 && cont === 0) problems.push('infogan: give at least one categorical or continuous code');
    const okW = isNum(t.infogan.weight) && t.infogan.weight >= 0;
    if (!okW) problems.push(`infogan.weight: must be a finite number >= 0, got ${String(t.infogan.weight)}`);
    if (okCat && okCont && okW) infogan = { categorical: [...cat], continuous: cont, weight: t.infogan.weight };
  }
  let noisyLabels: ResolvedTechniques['noisyLabels'];
  if (t.noisyLabels !== undefined) {
    if (!bce) problems.push(`noisyLabels: per-sample targets apply to the BCE losses (${BCE_LOSSES.join(', ')}), not to ${typeof opts.loss === 'string' ? opts.loss : 'a user loss'}`);
    const fake = t.noisyLabels.fake ?? [0, 0];
    const okR = checkRange(t.noisyLabels.real, 'noisyLabels.real', problems);
    const okF = checkRange(fake, 'noisyLabels.fake', problems);
    if (okR && okF) noisyLabels = { real: [t.noisyLabels.real[0], t.noisyLabels.real[1]], fake: [fake[0], fake[1]] };
  }
  let flipProbability: number | undefined;
  if (t.labelFlip !== undefined) {
    if (!bce) problems.push(`labelFlip: flipping targets applies to the BCE losses (${BCE_LOSSES.join(', ')})`);
    const p = t.labelFlip.probability;
    if (isNum(p) && p >= 0 && p <= 1) flipProbability = p;
    else problems.push(`labelFlip.probability: must be in [0, 1], got ${String(p)}`);
  }
  let instanceNoise: Schedule | undefined;
  if (t.instanceNoise !== undefined) {
    const s = t.instanceNoise.sigma;
    if (typeof s === 'function') instanceNoise = s;
    else if (isNum(s) && s >= 0) instanceNoise = () => s;
    else problems.push(`instanceNoise.sigma: must be a number >= 0 or a schedule of the step, got ${String(s)}`);
  }
  let replay: ResolvedTechniques['replay'];
  if (t.replay !== undefined) {
    const okC = isPosInt(t.replay.capacity);
    if (!okC) problems.push(`replay.capacity: must be an integer >= 1, got ${String(t.replay.capacity)}`);
    const okF = isNum(t.replay.fraction) && t.replay.fraction >= 0 && t.replay.fraction <= 1;
    if (!okF) problems.push(`replay.fraction: must be in [0, 1], got ${String(t.replay.fraction)}`);
    if (okC && okF) replay = { capacity: t.replay.capacity, fraction: t.replay.fraction };
    if (t.conditioning !== undefined || t.infogan !== undefined) problems.push('replay: replayed fakes carry no labels or codes, so the buffer cannot be combined with conditioning or InfoGAN');
  }
  let ema: ResolvedTechniques['ema'];
  if (t.ema !== undefined) {
    const okD = isNum(t.ema.decay) && t.ema.decay >= 0 && t.ema.decay < 1;
    if (!okD) problems.push(`ema.decay: must be in [0, 1), got ${String(t.ema.decay)}`);
    const start = t.ema.start ?? 0;
    const okS = Number.isSafeInteger(start) && start >= 0;
    if (!okS) problems.push(`ema.start: must be an integer >= 0, got ${String(start)}`);
    if (okD && okS) ema = { decay: t.ema.decay, start };
  }
  const pack = t.pack ?? 1;
  if (!isPosInt(pack)) problems.push(`pack: the pack size must be an integer >= 1, got ${String(pack)}`);
  else {
    if (t.batchSize !== undefined && (!isPosInt(t.batchSize) || t.batchSize % pack !== 0)) {
      problems.push(`pack: the batch size ${String(t.batchSize)} must be a positive multiple of the pack size ${pack}`);
    }
    if (pack > 1 && (t.conditioning !== undefined || t.infogan !== undefined)) {
      problems.push('pack: packing mixes several samples in one D output, so it cannot be combined with conditioning, ACGAN or InfoGAN');
    }
  }
  if (t.batchSize !== undefined && !isPosInt(t.batchSize)) problems.push(`batchSize: must be an integer >= 1, got ${String(t.batchSize)}`);
  const codeDim = infogan === undefined ? 0 : infogan.categorical.reduce((a, k) => a + k, 0) + infogan.continuous;
  return {
    ...(classes !== undefined ? { classes } : {}),
    ...(acganWeight !== undefined ? { acganWeight, acganFakeWeight: acganFakeWeight ?? 1 } : {}),
    ...(infogan ? { infogan } : {}),
    ...(noisyLabels ? { noisyLabels } : {}),
    ...(flipProbability !== undefined ? { flipProbability } : {}),
    ...(instanceNoise ? { instanceNoise } : {}),
    ...(replay ? { replay } : {}),
    ...(ema ? { ema } : {}),
    pack: isPosInt(pack) ? pack : 1,
    codeDim,
    layout: {
      classes: acganWeight !== undefined && classes !== undefined ? classes : 0,
      categorical: infogan?.categorical ?? [],
      continuous: infogan?.continuous ?? 0,
    },
  };
}

/** The width of D's output a layout needs: 1 + classes + Σ categorical + continuous (1 without heads). */
export const layoutWidth = (l: OutputLayout): number => 1 + l.classes + l.categorical.reduce((a, k) => a + k, 0) + l.continuous;

/** D as the step applies it: after `Pack(m)` when packing. */
export const packedDiscriminator = (d: AnyLayer, pack: number): AnyLayer => (pack > 1 ? (sequential(Pack(pack), d) as AnyLayer) : d);
