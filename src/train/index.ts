export * from './config.js';
export * from './state.js';
export * from './step.js';
export * from './iteration.js';
export * from './metrics.js';
export { isFiniteScalar, selectTree } from './tree_select.js';
export { spectralSigmas } from './sigma.js';
