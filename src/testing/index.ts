/**
 * `puregan/testing`: property-testing helpers for researchers. fast-check arbitraries for
 * tensors, conv configurations and small networks; gradient checks against finite differences;
 * Lipschitz estimation and bound properties.
 */
export * from './arbitraries.js';
export * from './gradcheck.js';
export * from './lipschitz.js';
