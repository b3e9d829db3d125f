/**
 * The control block shared by the worker pool (pool.ts) and each kernel worker (worker.ts):
 * an Int32Array over a SharedArrayBuffer of CTL_SLOTS slots, and the job's arguments in a
 * Float64Array of MAX_ARGS.
 */
/** Job sequence number, written last by the caller; −1 tells the worker to exit. */
export const CTL_SEQ = 0;
/** Sequence number of the last job the worker finished. */
export const CTL_DONE = 1;
/** 1 if that job threw. */
export const CTL_ERROR = 2;
/** The job's kind: one of the JOB_* values. */
export const CTL_KIND = 3;
/** How many arguments the job has. */
export const CTL_ARGC = 4;
export const CTL_SLOTS = 8;
export const MAX_ARGS = 24;

/** Job kinds, indexing the kernels a worker can run (their arguments are the module export's). */
export const JOB_GEMM = 0;
export const JOB_IM2COL = 1;
export const JOB_COL2IM = 2;
export const JOB_ADAM = 3;
export const JOB_FUSED = 4;
export type JobKind = typeof JOB_GEMM | typeof JOB_IM2COL | typeof JOB_COL2IM | typeof JOB_ADAM | typeof JOB_FUSED;

/**
 * How long a waiting side polls its control slot before it sleeps in `Atomics.wait`, in ms
 * (the default of `WasmBackendOptions.spinMs`). A futex wake-up on a virtual machine can take
 * as long as one of the small kernels it starts, and the jobs of a step come in bursts (a
 * convolution's im2col, then its GEMM, chunk after chunk), so a worker that has just finished
 * polls for its next job, and the caller polls for the workers' end, this long before sleeping.
 * Polling never changes a result, only how soon a side notices the other.
 */
export const DEFAULT_SPIN_MS = 0.2;

/**
 * Polls `ctl[slot]` until it differs from `seen` or `spinMs` have passed, and returns its last
 * value (the caller sleeps in `Atomics.wait` when that is still `seen`).
 */
export function spinWhile(ctl: Int32Array, slot: number, seen: number, spinMs: number): number {
  let v = Atomics.load(ctl, slot);
  if (v !== seen || spinMs <= 0) return v;
  const end = performance.now() + spinMs;
  for (let i = 1; ; i++) {
    v = Atomics.load(ctl, slot);
    if (v !== seen) return v;
    if ((i & 255) === 0 && performance.now() > end) return v;
  }
}
