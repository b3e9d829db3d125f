import { workerData as data } from 'node:worker_threads';
import { createBufferStore } from './buffers.js';
import { acquireDevice, MAP_READ } from './device.js';
import { WebGPUError, type WebGPUErrorData } from './errors.js';
import { withShaderFault } from './faults.js';
import { createHandleTable } from './handles.js';
import { createPipelineCache } from './pipelines.js';
import { buildProgram, type Program } from './program.js';
import { LOST, type Answer, type Envelope, type Reply, type Request, type WorkerData } from './protocol.js';

/**
 * The device's thread. It owns the GPUDevice, every program and the handle table of device
 * tensors, and takes the calling thread's requests one at a time, in order (channel.ts).
 * Reads and device runs are answered when the device has done them, without holding up the
 * requests behind them. Its event loop keeps turning while the caller blocks, which is what
 * lets `mapAsync` complete.
 */
const { port, flag, faults } = data as WorkerData;

const reply = (id: number, r: Reply): void => {
  const transfer = r.kind === 'ran' ? r.outputs.map((o) => o.buffer as ArrayBuffer) : r.kind === 'data' ? r.values.map((o) => o.buffer as ArrayBuffer) : [];
  port.postMessage({ id, reply: r } satisfies Answer, transfer);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
};

const asData = (e: unknown, lost: string | undefined): WebGPUErrorData => {
  if (lost !== undefined) return { kind: 'device-lost', kernel: 'device', message: lost };
  if (e instanceof WebGPUError) return { kind: e.kind, kernel: e.kernel, message: e.detail };
  return { kind: 'validation', kernel: 'worker', message: (e as Error)?.message ?? String(e) };
};

const acquired = await acquireDevice();
if (!('device' in acquired)) {
  reply(0, { kind: 'error', error: acquired });
} else {
  const { device } = acquired;
  let lost: string | undefined;
  /** Device runs submitted and not yet done: answered with the loss if the device goes. */
  const running = new Set<number>();
  void device.lost.then((info) => {
    lost = `the device was lost (${info.reason}): ${info.message}`;
    for (const id of running) reply(id, { kind: 'error', error: asData(undefined, lost) });
    running.clear();
    reply(LOST, { kind: 'error', error: asData(undefined, lost) });
  });
  const buffers = createBufferStore(device);
  const pipelines = withShaderFault(createPipelineCache(device), faults);
  const handles = createHandleTable(buffers);
  const programs = new Map<number, Program>();
  let deviceRuns = 0;
  let dispatched = 0;
  let readBack = 0;

  /** Copies the handles' buffers into one staging buffer and answers with their values once mapped. */
  const read = async (id: number, hs: readonly number[]): Promise<void> => {
    const entries = hs.map((h) => handles.get(h));
    const total = entries.reduce((acc, e) => acc + e.bytes, 0);
    const staging = await buffers.staging(total, 'read-back staging');
    const enc = device.createCommandEncoder();
    let at = 0;
    for (const e of entries) {
      if (e.bytes > 0) enc.copyBufferToBuffer(e.buffer, 0, staging, at, e.bytes);
      at += e.bytes;
    }
    device.queue.submit([enc.finish()]);
    if (faults.stallReadBack === true) return;
    void staging.mapAsync(MAP_READ).then(
      () => {
        const all = new Float32Array(staging.getMappedRange().slice(0));
        buffers.destroy(staging);
        readBack += total;
        let off = 0;
        const values = entries.map((e) => all.slice(off / 4, (off += e.bytes) / 4));
        reply(id, { kind: 'data', values });
      },
      (e: unknown) => {
        buffers.destroy(staging);
        reply(id, { kind: 'error', error: asData(e, lost) });
      },
    );
  };

  /** Runs a program into fresh device buffers under the given handles; answered when the device is done. */
  const runOnDevice = async (id: number, p: Program, req: Extract<Request, { kind: 'run' }>, outs: readonly number[]): Promise<void> => {
    deviceRuns++;
    if (faults.loseDeviceAtRun === deviceRuns) {
      device.destroy();
      await device.lost;
    }
    try {
      if (lost !== undefined) throw new WebGPUError('device-lost', 'device', lost);
      const inputs = req.inputs.map((x) => (x instanceof Float32Array ? x : handles.get(x.handle).buffer));
      const bufs: GPUBuffer[] = [];
      for (const [k, h] of outs.entries()) bufs.push(await handles.take(h, 4 * p.outputSizes[k]!, `output ${k} of program ${req.program}`));
      await p.run(inputs, bufs);
      dispatched += p.info.dispatches;
    } catch (e) {
      const error = asData(e, lost);
      handles.fail(outs, error);
      reply(id, { kind: 'error', error });
      return;
    }
    running.add(id);
    void device.queue.onSubmittedWorkDone().then(() => {
      if (running.delete(id)) reply(id, { kind: 'done' });
    });
  };

  const handle = async (id: number, req: Request): Promise<Reply | undefined> => {
    if (req.kind === 'release') {
      handles.release(req.handles);
      return undefined;
    }
    if (req.kind === 'run' && req.outputs !== 'read') {
      const p = programs.get(req.program);
      if (p === undefined) throw new WebGPUError('validation', 'program run', `program ${req.program} was not built`);
      await runOnDevice(id, p, req, req.outputs.handles);
      return undefined;
    }
    if (lost !== undefined && req.kind !== 'close' && req.kind !== 'free') throw new WebGPUError('device-lost', 'device', lost);
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
        const inputs = req.inputs.map((x) => (x instanceof Float32Array ? x : handles.get(x.handle).buffer));
        const outputs = (await p.run(inputs, 'read'))!;
        dispatched += p.info.dispatches;
        readBack += p.info.readBackBytes;
        return { kind: 'ran', outputs };
      }
      case 'read':
        await read(id, req.handles);
        return undefined;
      case 'free':
        programs.get(req.program)?.destroy();
        programs.delete(req.program);
        return undefined;
      case 'close':
        for (const p of programs.values()) p.destroy();
        programs.clear();
        handles.clear();
        device.destroy();
        port.close();
        // Dawn keeps the thread's event loop alive; end the thread, now that nothing runs in Dawn.
        setImmediate(() => process.exit(0));
        return undefined;
      case 'stats':
        return {
          kind: 'stats',
          stats: {
            liveBuffers: buffers.live,
            liveBytes: buffers.bytes,
            programs: programs.size,
            pipelines: pipelines.size,
            handles: handles.held,
            pooled: handles.pooled,
            dispatches: dispatched,
            readBackBytes: readBack,
          },
        };
    }
  };

  let queue: Promise<void> = Promise.resolve();
  port.on('message', ({ id, req }: Envelope) => {
    queue = queue.then(async () => {
      try {
        const r = await handle(id, req);
        if (r !== undefined) reply(id, r);
      } catch (e) {
        reply(id, { kind: 'error', error: asData(e, lost) });
      }
    });
  });
  reply(0, { kind: 'ready', adapter: acquired.adapter });
}
