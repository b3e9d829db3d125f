export type { ImageDataset } from './dataset.js';
export { MNIST_TRAIN_FRACTION, mnistFromDigits, mnistFromPackage, mnistSplitRange, type MnistDigits, type MnistOptions, type MnistSplit } from './mnist.js';
export {
  MODE_METRIC_SAMPLES,
  grid100,
  grid25,
  gridMixture,
  modeMetrics,
  ring8,
  ringMixture,
  sampleMixture,
  type GaussianMixture,
  type ModeMetricOptions,
  type ModeMetrics,
} from './gaussians.js';
export { epochIterator, epochOrder, nextBatch, takeRows, type EpochIterator, type EpochIteratorOptions } from './iterate.js';
