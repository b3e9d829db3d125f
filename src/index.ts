export * from './core/errors.js';
export * from './core/tensor.js';
export type { Backend, ConvGeometry, GemmSpec, PowerIterationResult } from './backend/backend.js';
export { convGeometry, convTransposeGeometry, convOutputShape } from './backend/geometry.js';
export { referenceBackend } from './backend/reference.js';
