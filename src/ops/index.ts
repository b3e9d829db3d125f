export * from './elementwise.js';
export * from './shape.js';
export * from './reduce.js';
export * from './linalg.js';
export * from './conv.js';
export * from './activations.js';
export { bind, concrete, isTracer, Tracer } from './dispatch.js';
export type { Primitive, PrimitiveParams, CompareOp } from './primitives.js';
export { PRIMITIVES } from './primitives.js';
