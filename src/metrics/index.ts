/**
 * GAN quality metrics on feature matrices `[n, d]` and class probabilities `[n, C]`, in
 * float64: Fréchet distance, kernel distance (KID), the MNIST score, class coverage, and
 * k-NN precision/recall; feature networks from any layer or function.
 */
export * from './linalg.js';
export * from './frechet.js';
export * from './kernel_distance.js';
export * from './class_probabilities.js';
export * from './class_coverage.js';
export * from './precision_recall.js';
export * from './feature_network.js';
export * from './sample_quality.js';
export * from './mnist_classifier.js';
export * from './pairwise_distances.js';
export * from './kth_smallest.js';
export * from './assignment.js';
export * from './code_class_accuracy.js';
