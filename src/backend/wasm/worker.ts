/**
 * A kernel worker of the threaded wasm backend (started by pool.ts; see `threads` in api.ts).
 * It instantiates the compiled module on the shared memory, then waits on its control block
 * (protocol.ts) and runs the posted gemm / im2col / col2im / adamStep / fusedRun jobs on their
 * blocks of rows, columns, channels or elements.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiateKernels } from './load.js';
import { CTL_ARGC, CTL_DONE, CTL_ERROR, CTL_KIND, CTL_SEQ, JOB_ADAM, JOB_COL2IM, JOB_FUSED, JOB_GEMM, JOB_IM2COL, spinWhile } from './protocol.js';

type Data = { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; args: SharedArrayBuffer; index: number; spinMs: number };
const { module, memory, control, args, index, spinMs } = workerData as Data;
const ctl = new Int32Array(control);
const argv = new Float64Array(args);
const k = await instantiateKernels(module, memory);
const kernels: Record<number, (...a: number[]) => void> = {
  [JOB_GEMM]: k.gemm as (...a: number[]) => void,
  [JOB_IM2COL]: k.im2col as (...a: number[]) => void,
  [JOB_COL2IM]: k.col2im as (...a: number[]) => void,
  [JOB_ADAM]: k.adamStep as (...a: number[]) => void,
  [JOB_FUSED]: k.fusedRun as (...a: number[]) => void,
};
parentPort!.postMessage('ready');

let seen = 0;
for (;;) {
  if (spinWhile(ctl, CTL_SEQ, seen, spinMs) === seen) Atomics.wait(ctl, CTL_SEQ, seen);
  const seq = Atomics.load(ctl, CTL_SEQ);
  if (seq < 0) break;
  if (seq === seen) continue;
  seen = seq;
  try {
    kernels[Atomics.load(ctl, CTL_KIND)]!(...argv.subarray(0, Atomics.load(ctl, CTL_ARGC)));
    Atomics.store(ctl, CTL_ERROR, 0);
  } catch (e) {
    process.stderr.write(`puregan wasm worker ${index}: ${(e as Error).stack ?? String(e)}\n`);
    Atomics.store(ctl, CTL_ERROR, 1);
  }
  Atomics.store(ctl, CTL_DONE, seq);
  Atomics.notify(ctl, CTL_DONE);
}
