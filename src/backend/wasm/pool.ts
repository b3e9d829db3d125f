import { BackendError } from '../../core/errors.js';
import { CTL_ARGC, CTL_DONE, CTL_ERROR, CTL_KIND, CTL_SEQ, CTL_SLOTS, DEFAULT_SPIN_MS, MAX_ARGS, spinWhile, type JobKind } from './protocol.js';

/**
 * The worker pool of the threaded backend: n − 1 worker_threads (worker.ts), each running the
 * compiled module on the shared memory and woken through `Atomics.wait`/`notify` on its own
 * control block (protocol.ts). The calling thread runs its share of every job itself and then
 * blocks until the workers are done, so a kernel call is synchronous as on one thread. Node
 * only: `node:worker_threads` is imported dynamically, when a pool is started.
 */
export type WorkerPool = Readonly<{
  /** Threads a job can be split across, the calling thread included. */
  threads: number;
  /**
   * Runs jobs[t] (a kernel's arguments) on worker t, at most threads − 1 of them, `own` on
   * this thread meanwhile, then waits for every worker; throws if one failed.
   */
  run(kind: JobKind, jobs: readonly (readonly number[])[], own: () => void): void;
  /** Stops the workers. */
  close(): Promise<void>;
}>;

/** The pool of a one-thread backend: no workers. */
export const singleThread: WorkerPool = {
  threads: 1,
  run(_kind, jobs, own) {
    if (jobs.length > 0) throw new BackendError('internal error: a job was posted to a one-thread pool');
    own();
  },
  close: async () => {},
};

/** One worker and its control block. */
type KernelWorker = {
  /** Posts a job; returns its sequence number. */
  post(kind: JobKind, args: readonly number[]): number;
  /** Blocks until job `seq` is done; throws if it failed. */
  wait(seq: number): void;
  close(): Promise<void>;
};

/** How long the calling thread waits for a worker before declaring it lost. */
const WORKER_TIMEOUT_MS = 120_000;
/** How often a waiting caller re-checks its deadline. */
const WAIT_SLICE_MS = 1000;

/** Starts `threads − 1` workers on `module` and the shared `memory`, polling `spinMs` before each sleep (protocol.ts). */
export async function startPool(opts: Readonly<{ module: WebAssembly.Module; memory: WebAssembly.Memory; threads: number; spinMs?: number }>): Promise<WorkerPool> {
  const spinMs = opts.spinMs ?? DEFAULT_SPIN_MS;
  const { Worker } = await import('node:worker_threads');
  const url = new URL('./worker.js', import.meta.url);
  const start = async (index: number): Promise<KernelWorker> => {
    const control = new SharedArrayBuffer(4 * CTL_SLOTS);
    const args = new SharedArrayBuffer(8 * MAX_ARGS);
    const ctl = new Int32Array(control);
    const argv = new Float64Array(args);
    const worker = new Worker(url, { workerData: { module: opts.module, memory: opts.memory, control, args, index, spinMs } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', (e) => reject(new BackendError(`wasm worker ${index} failed to start: ${e.message}`)));
    });
    worker.unref();
    let seq = 0;
    return {
      post(kind, a) {
        argv.set(a);
        Atomics.store(ctl, CTL_ARGC, a.length);
        Atomics.store(ctl, CTL_KIND, kind);
        seq++;
        Atomics.store(ctl, CTL_SEQ, seq);
        Atomics.notify(ctl, CTL_SEQ);
        return seq;
      },
      wait(want) {
        const deadline = Date.now() + WORKER_TIMEOUT_MS;
        for (let polled = false; ; polled = true) {
          const done = polled ? Atomics.load(ctl, CTL_DONE) : spinWhile(ctl, CTL_DONE, want - 1, spinMs);
          if (done === want) break;
          if (Date.now() > deadline) throw new BackendError(`wasm worker ${index} did not finish a kernel job within ${WORKER_TIMEOUT_MS} ms`);
          Atomics.wait(ctl, CTL_DONE, done, WAIT_SLICE_MS);
        }
        if (Atomics.load(ctl, CTL_ERROR) !== 0) throw new BackendError(`wasm worker ${index} failed in a kernel job (see its stderr)`);
      },
      async close() {
        Atomics.store(ctl, CTL_SEQ, -1);
        Atomics.notify(ctl, CTL_SEQ);
        await worker.terminate();
      },
    };
  };
  const workers = await Promise.all(Array.from({ length: opts.threads - 1 }, (_, i) => start(i + 1)));
  return {
    threads: opts.threads,
    run(kind, jobs, own) {
      if (jobs.length > workers.length) throw new BackendError(`internal error: ${jobs.length} jobs for ${workers.length} workers`);
      const posted = jobs.map((args, t) => [workers[t]!, workers[t]!.post(kind, args)] as const);
      try {
        own();
      } finally {
        for (const [w, seq] of posted) w.wait(seq);
      }
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
