/**
 * A GEMM worker of the threaded wasm backend (see `threads` in wasm.ts). It instantiates the
 * compiled module on the shared memory, then waits on its control block:
 *   ctl[0] job sequence number (−1: exit), ctl[1] last finished job, ctl[2] 1 if it failed,
 *   ctl[3] the job's kind (0 gemm, 1 im2col, 2 col2im);
 * the job's arguments are in a Float64Array of their own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiate } from '@assemblyscript/loader';
import type { Kernels } from './wasm.js';

type Data = { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; args: SharedArrayBuffer; index: number };
const { module, memory, control, args, index } = workerData as Data;
const ctl = new Int32Array(control);
const argv = new Float64Array(args);
const { exports: k } = await instantiate<Kernels>(module, { env: { memory } });
parentPort!.postMessage('ready');

let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  const seq = Atomics.load(ctl, 0);
  if (seq < 0) break;
  if (seq === seen) continue;
  seen = seq;
  try {
    const a = argv;
    const kind = Atomics.load(ctl, 3);
    if (kind === 0) {
      k.gemm(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!, a[16]!, a[17]!, a[18]!, a[19]!);
    } else {
      const f = kind === 1 ? k.im2col : k.col2im;
      f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!, a[16]!, a[17]!);
    }
    Atomics.store(ctl, 2, 0);
  } catch (e) {
    process.stderr.write(`puregan wasm worker ${index}: ${(e as Error).stack ?? String(e)}\n`);
    Atomics.store(ctl, 2, 1);
  }
  Atomics.store(ctl, 1, seq);
  Atomics.notify(ctl, 1);
}
