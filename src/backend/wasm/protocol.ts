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
