import type { Tensor } from '../core/tensor.js';

/**
 * A labelled image dataset as plain values: `images` `[N, C, H, W]` with values in [−1, 1]
 * (the range of a tanh generator), `labels` `[N]` holding integer class ids as float32, and
 * `classes`, the number of classes the ids range over (`0 ≤ label < classes`).
 */
export type ImageDataset = Readonly<{ images: Tensor; labels: Tensor; classes: number }>;
