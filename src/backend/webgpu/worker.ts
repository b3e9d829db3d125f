import { workerData as data } from 'node:worker_threads';
import { createBufferStore } from './buffers.js';
import { acquireDevice } from './device.js';
import { WebGPUError, type WebGPUErrorData } from './errors.js';
import { createPipelineCache } from './pipelines.js';
import { buildProgram, type Program } from './program.js';
import type { Reply, Request, WorkerData } from './protocol.js';

/**
 * The device's thread. It owns the GPUDevice and every program on it, and answers the calling
 * thread's requests one at a time, in order (channel.ts waits for each reply). Its event loop
 * keeps turning while the caller blocks, which is what lets `mapAsync` complete.
 */
const { port, flag } = data as WorkerData;

const reply = (r: Reply): void => {
  port.postMessage(r, r.kind === 'ran' ? r.outputs.map((o) => o.buffer as ArrayBuffer) : []);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};

const asData = (e: unknown, lost: string | undefined): WebGPUErrorData => {
  if (lost !== undefined) return { kind: 'device-lost', kernel: 'device', message: lost };
  if (e instanceof WebGPUError) return { kind: e.kind, kernel: e.kernel, message: e.detail };
  return { kind: 'validation', kernel: 'worker', message: (e as Error)?.message ?? String(e) };
};

const acquired = await acquireDevice();
if (!('device' in acquired)) {
  reply({ kind: 'error', error: acquired });
} else {
  const { device } = acquired;
  let lost: string | undefined;
  void device.lost.then((info) => {
    lost = `the device was lost (${info.reason}): ${info.message}`;
  });
  const buffers = createBufferStore(device);
  const pipelines = createPipelineCache(device);
  const programs = new Map<number, Program>();

  const handle = async (req: Request): Promise<Reply | undefined> => {
    if (lost !== undefined) throw new WebGPUError('device-lost', 'device', lost);
    switch (req.kind) {
      case 'build': {
        programs.get(req.program)?.destroy();
        const p = await buildProgram({ device, buffers, pipelines }, req.spec);
        programs.set(req.program, p);
        return { kind: 'built', info: p.info };
      }
      case 'run': {
        const p = programs.get(req.program);
        if (p === undefined) throw new WebGPUError('validation', 'program run', `program ${req.program} was not built`);
        return { kind: 'ran', outputs: await p.run(req.inputs) };
      }
      case 'free':
        programs.get(req.program)?.destroy();
        programs.delete(req.program);
        return { kind: 'freed' };
      case 'close':
        for (const p of programs.values()) p.destroy();
        programs.clear();
        device.destroy();
        port.close();
        // Dawn keeps the thread's event loop alive; end the thread, now that nothing runs in Dawn.
        setImmediate(() => process.exit(0));
        return undefined;
      case 'stats':
        return { kind: 'stats', stats: { liveBuffers: buffers.live, liveBytes: buffers.bytes, programs: programs.size, pipelines: pipelines.size } };
    }
  };

  let queue: Promise<void> = Promise.resolve();
  port.on('message', (req: Request) => {
    queue = queue.then(async () => {
      try {
        const r = await handle(req);
        if (r !== undefined) reply(r);
      } catch (e) {
        reply({ kind: 'error', error: asData(e, lost) });
      }
    });
  });
  reply({ kind: 'ready', adapter: acquired.adapter });
}
