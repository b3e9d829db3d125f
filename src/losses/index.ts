export * from './gan.js';
export * from './penalties.js';
