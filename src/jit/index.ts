export { jit, type JitOptions, type JitStats, type Jitted } from './jit.js';
export { JitTracer } from './trace.js';
