/**
 * Test support (no tests of its own): a tiny 2-D GAN configuration and helpers to compare
 * train states bit for bit.
 */
import { treeFlatten, treeMap } from '../../src/core/pytree.js';
import { key as makeKey, normal, split } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { LeakyReLU, Linear, ReLU, sequential } from '../../src/nn/index.js';
import { add } from '../../src/ops/elementwise.js';
import type { TrainConfig } from '../../src/train/config.js';

/** G: z [N, 3] → [N, 2] (Linear 8, ReLU, Linear 2); D: [N, 2] → [N, 1] (Linear 8, LeakyReLU, Linear 1); Adam on both. */
export function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    generator: sequential(Linear(8), ReLU(), Linear(2)),
    discriminator: sequential(Linear(8), LeakyReLU(0.2), Linear(1)),
    latent: { dim: 3, prior: 'normal' },
    dataShape: [2],
    loss: 'nonsaturating',
    optimizers: { g: { name: 'adam', lr: 1e-3, b1: 0.5 }, d: { name: 'adam', lr: 2e-3, b1: 0.5 } },
    ...overrides,
  };
}

/** `count` real batches [n, 2] from N((2, −1), 1), deterministic in the seed. */
export function realBatches(seed: number, count: number, n = 4): Tensor[] {
  return split(makeKey(seed), count).map((k) => add(normal(k, [n, 2]), tensor([2], [2, -1])));
}

/** The raw bits of every leaf of a tree (numbers as float64 bits), for bit-identity checks. */
export function bitsOf(tree: unknown): string[] {
  return treeFlatten(tree).leaves.map((l) =>
    typeof l === 'number' ? `n:${Buffer.from(new Float64Array([l]).buffer).toString('hex')}` : `${l.shape.join('x')}:${Buffer.from(l.data.buffer, l.data.byteOffset, l.data.byteLength).toString('hex')}`,
  );
}

/** A deep copy of a tree (fresh arrays for every tensor). */
export const deepCopy = <T>(tree: T): T => treeMap((l) => (typeof l === 'number' ? l : tensor(l.shape, Float32Array.from(l.data))), tree);
