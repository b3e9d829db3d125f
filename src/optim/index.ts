export * from './transform.js';
export * from './schedules.js';
export * from './schedule_spec.js';
export * from './adam.js';
export * from './adamax.js';
export * from './sgd.js';
export * from './rmsprop.js';
