export * from './transform.js';
export * from './adam.js';
export * from './sgd.js';
