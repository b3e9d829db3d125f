import type { MessagePort, Worker } from 'node:worker_threads';
import { errorFromData, WebGPUError } from './errors.js';
import { LOST, type Answer, type Envelope, type Reply, type Request } from './protocol.js';

/**
 * The calling thread's side of the worker. Requests are numbered; the worker posts each reply
 * with its number and then raises `flag[0]` (a count of replies posted). Replies are taken
 * with `receiveMessageOnPort` and routed by number, so the three ways of asking can be mixed:
 *
 * - `call`: blocks in `Atomics.wait` until its reply (eager kernels, builds, stats);
 * - `request`: a promise, its reply awaited with `Atomics.waitAsync`, so the event loop keeps
 *   turning (read-backs for `materialize`);
 * - `submit`: posts a device run without waiting; its reply (`done`, or the run's error) is an
 *   acknowledgement. More than `maxInFlight` unacknowledged runs block the next submit until
 *   the oldest is done (backpressure); a failed run's error is thrown by the next submit.
 * - `post`: no reply at all (`release`).
 *
 * A reply that does not come within `timeoutMs` is a WebGPUError of kind `timeout`, and the
 * channel is then unusable (the worker is stuck behind that request); so it is once the worker
 * says the device was lost (an answer numbered LOST): every later request throws `device-lost`.
 */
export type Channel = Readonly<{
  call(req: Request): Reply;
  request(req: Request): Promise<Reply>;
  submit(req: Request): void;
  post(req: Request): void;
  close(): Promise<void>;
}>;

type Receive = (port: MessagePort) => { message: unknown } | undefined;

type Waiter = Readonly<{ resolve: (r: Reply) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>;

/** `Atomics.waitAsync` (ES2024; in Node since 16), typed here because the build targets ES2022. */
type WaitAsync = (a: Int32Array, index: number, value: number, timeoutMs: number) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
export const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** How long one async wait sleeps before looking at the port again. */
const POLL_MS = 50;

export function createChannel(
  opts: Readonly<{ worker: Worker; port: MessagePort; flag: Int32Array; receive: Receive; timeoutMs: number; maxInFlight?: number }>,
): Channel {
  const { worker, port, flag, receive, timeoutMs } = opts;
  const maxInFlight = opts.maxInFlight ?? 2;
  let nextId = 1;
  let received = 0;
  let broken: WebGPUError | undefined;
  let failedRun: WebGPUError | undefined;
  const arrived = new Map<number, Reply>();
  const waiters = new Map<number, Waiter>();
  const runs = new Set<number>();

  const route = (a: Answer): void => {
    if (a.id === LOST) {
      if (a.reply.kind === 'error') broken ??= errorFromData(a.reply.error);
      return;
    }
    if (runs.delete(a.id)) {
      if (a.reply.kind === 'error') failedRun ??= errorFromData(a.reply.error);
      return;
    }
    const w = waiters.get(a.id);
    if (w === undefined) {
      arrived.set(a.id, a.reply);
      return;
    }
    waiters.delete(a.id);
    clearTimeout(w.timer);
    if (a.reply.kind === 'error') w.reject(errorFromData(a.reply.error));
    else w.resolve(a.reply);
  };
  const drain = (): void => {
    for (let got = receive(port); got !== undefined; got = receive(port)) {
      received++;
      route(got.message as Answer);
    }
  };
  const breakWith = (what: string): WebGPUError => {
    broken = new WebGPUError('timeout', what, `no reply from the device within ${timeoutMs} ms; the backend is unusable now`);
    for (const w of waiters.values()) {
      clearTimeout(w.timer);
      w.reject(broken);
    }
    waiters.clear();
    return broken;
  };
  const send = (req: Request): number => {
    if (broken !== undefined) throw broken;
    const id = nextId++;
    port.postMessage({ id, req } satisfies Envelope);
    return id;
  };
  /** Blocks until `done()`, taking replies as they come. */
  const block = (done: () => boolean, what: string): void => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      drain();
      if (done()) return;
      const left = deadline - Date.now();
      if (left <= 0) throw breakWith(what);
      const posted = Atomics.load(flag, 0);
      // A reply posted but not yet visible on the port: look again shortly.
      Atomics.wait(flag, 0, posted, posted > received ? Math.min(1, left) : left);
    }
  };
  let pumping = false;
  /** Takes replies while any async request waits, sleeping in `Atomics.waitAsync` between looks. */
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (waiters.size > 0) {
        drain();
        if (waiters.size === 0) break;
        const posted = Atomics.load(flag, 0);
        const r = waitAsync!.call(Atomics, flag, 0, posted, posted > received ? 1 : POLL_MS);
        if (r.async) await r.value;
      }
    } finally {
      pumping = false;
    }
  };
  const kernelOf = (req: Request): string => (req.kind === 'run' || req.kind === 'read' ? 'read-back' : req.kind);

  return {
    call(req) {
      const id = send(req);
      block(() => arrived.has(id), kernelOf(req));
      const r = arrived.get(id)!;
      arrived.delete(id);
      if (r.kind === 'error') throw errorFromData(r.error);
      return r;
    },
    request(req) {
      let id: number;
      try {
        id = send(req);
      } catch (e) {
        return Promise.reject(e as Error);
      }
      const reply = new Promise<Reply>((resolve, reject) => {
        const timer = setTimeout(() => breakWith(kernelOf(req)), timeoutMs);
        waiters.set(id, { resolve, reject, timer });
      });
      void pump();
      return reply;
    },
    submit(req) {
      drain();
      if (failedRun !== undefined) {
        const e = failedRun;
        failedRun = undefined;
        throw e;
      }
      runs.add(send(req));
      if (runs.size > maxInFlight) block(() => runs.size <= maxInFlight, 'device run');
    },
    post(req) {
      send(req);
    },
    // Terminating the worker while Dawn is inside a call aborts the process, so the worker is
    // asked to finish: it ends after any request still running (a timed-out one included).
    close: async () => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      port.postMessage({ id: 0, req: { kind: 'close' } } satisfies Envelope);
      await exited;
      const closed = new WebGPUError('device-lost', 'device', 'the webgpu backend was closed');
      for (const w of waiters.values()) {
        clearTimeout(w.timer);
        w.reject(closed);
      }
      waiters.clear();
    },
  };
}
