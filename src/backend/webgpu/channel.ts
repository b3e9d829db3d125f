import type { MessagePort, Worker } from 'node:worker_threads';
import { errorFromData, WebGPUError } from './errors.js';
import type { Reply, Request } from './protocol.js';

/**
 * The calling thread's side of the worker: `call` posts a request and blocks in `Atomics.wait`
 * until the worker raises the shared flag, then takes the reply with `receiveMessageOnPort`. So
 * a device round trip (a dispatch and its read-back) is a synchronous call here while the
 * device's event loop runs in the worker. A reply that does not come within `timeoutMs` is a
 * WebGPUError of kind `timeout`, and the channel is then unusable (a late reply would answer
 * the wrong request).
 */
export type Channel = Readonly<{
  call(req: Request, transfer?: readonly ArrayBuffer[]): Reply;
  close(): Promise<void>;
}>;

type Receive = (port: MessagePort) => { message: unknown } | undefined;

export function createChannel(opts: Readonly<{ worker: Worker; port: MessagePort; flag: Int32Array; receive: Receive; timeoutMs: number }>): Channel {
  const { worker, port, flag, receive, timeoutMs } = opts;
  let broken: WebGPUError | undefined;
  return {
    call(req, transfer = []) {
      if (broken !== undefined) throw broken;
      Atomics.store(flag, 0, 0);
      port.postMessage(req, transfer);
      const deadline = Date.now() + timeoutMs;
      let got = receive(port);
      while (got === undefined) {
        const left = deadline - Date.now();
        if (left <= 0) {
          broken = new WebGPUError('timeout', req.kind === 'run' ? 'read-back' : req.kind, `no reply from the device within ${timeoutMs} ms; the backend is unusable now`);
          throw broken;
        }
        // The flag says a reply was posted; the port may see it a moment later.
        if (Atomics.wait(flag, 0, 0, left) !== 'timed-out') Atomics.wait(flag, 0, 1, 1);
        got = receive(port);
      }
      const r = got.message as Reply;
      if (r.kind === 'error') throw errorFromData(r.error);
      return r;
    },
    // Terminating the worker while Dawn is inside a call aborts the process, so the worker is
    // asked to finish: it ends after any request still running (a timed-out one included).
    close: async () => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      port.postMessage({ kind: 'close' } satisfies Request);
      await exited;
    },
  };
}
