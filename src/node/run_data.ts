import * as E from 'fp-ts/lib/Either.js';
import { ValueError, type PureganError } from '../core/errors.js';
import { foldIn, key } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { grid100, grid25, ring8, sampleMixture, type GaussianMixture } from '../data/gaussians.js';
import type { DataSpec } from '../train/run_config.js';
import { loadMnist } from './mnist.js';

export const MIXTURES: Readonly<Record<'ring8' | 'grid25' | 'grid100', GaussianMixture>> = { ring8, grid25, grid100 };

/** A run's training data with the dataset's class ids `[N]` (MNIST's digits), for conditional runs. */
export async function loadLabelledRunData(spec: DataSpec): Promise<E.Either<PureganError, Readonly<{ x: Tensor; labels: Tensor }>>> {
  if (spec.source !== 'mnist') return E.left(new ValueError(`conditional runs need labelled data (mnist), got ${spec.source}`));
  const ds = await loadMnist({ split: 'train', size: spec.size, ...(spec.classes ? { classes: spec.classes } : {}) });
  return E.map((d: { images: Tensor; labels: Tensor }) => ({ x: d.images, labels: d.labels }))(ds);
}

/**
 * The training data of a run: MNIST's train split (`[N, 1, size, size]` in [−1, 1], the held-out
 * 20% never included) or `samples` points `[samples, 2]` of the mixture, drawn from the run's
 * seed (so a resumed run trains on the same points).
 */
export async function loadRunData(spec: DataSpec, seed: number): Promise<E.Either<PureganError, Tensor>> {
  if (spec.source === 'gaussians') return E.right(sampleMixture(MIXTURES[spec.mixture], foldIn(key(seed), 1), spec.samples));
  const ds = await loadMnist({ split: 'train', size: spec.size, ...(spec.classes ? { classes: spec.classes } : {}) });
  return E.map((d: { images: Tensor }) => d.images)(ds);
}
