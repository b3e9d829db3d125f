import * as E from 'fp-ts/lib/Either.js';
import type { AdamLeaf, AdamStepSpec, Backend, ConvGeometry, GemmSpec, PowerIterationResult } from '../backend.js';
import { checkAdamLeaves } from '../adam_step.js';
import type { DeviceOwner } from '../../core/device_tensor.js';
import { checkConvBuffers, checkGemm, checkPowerIteration } from '../geometry.js';
import type { Eqn, Graph } from '../graph.js';
import { createChannel, waitAsync, type Channel } from './channel.js';
import { compileForDevice } from './compile.js';
import { errorFromData, WebGPUError } from './errors.js';
import type { InjectedFaults } from './faults.js';
import type { Answer, DeviceStats, Reply } from './protocol.js';

/**
 * The WebGPU backend: WGSL compute shaders on a device owned by a worker thread (the README's
 * "The WebGPU backend" design section).
 *
 *   device.ts     adapter and device (Dawn in Node)     worker.ts    the device's thread
 *   channel.ts    blocking and async calls to the worker protocol.ts  the messages
 *   program.ts    a graph as buffers and dispatches      lower.ts     equation → dispatches
 *   pipelines.ts  pipelines cached by WGSL source        buffers.ts   every GPUBuffer, counted
 *   compile.ts    Backend.compile (jit)                  errors.ts    WebGPUError
 *   handles.ts    the device tensors' buffers, pooled    faults.ts    injected faults (tests)
 *   shaders/      the WGSL generators: gemm (tiled, implicit-GEMM convolutions), elementwise,
 *                 reduce, power_iteration, adam
 *
 * Eager kernels (`gemm`, `conv2d`, …) are one-equation programs, cached by geometry (the 64
 * most recently used by default), each call one round trip with a read-back: correct and slow. `jit`
 * compiles a whole step into one program whose run returns device tensors (`materialize` reads
 * them back); the backend is the DeviceOwner of those tensors' buffers.
 */
export type WebGPUBackend = Backend & DeviceOwner & {
  readonly name: 'webgpu';
  /** The adapter Dawn (or the browser) chose. */
  readonly adapter: string;
  /** The fused Adam step in WGSL (shaders/adam.ts), so the fused optimisers run on the device. */
  adamUpdate(leaves: readonly AdamLeaf[], spec: AdamStepSpec): Float32Array;
  /** Buffers, bytes, programs and pipelines held on the device now. */
  stats(): DeviceStats;
  close(): Promise<void>;
};

export type WebGPUBackendOptions = Readonly<{
  /** How long a call waits for the device before failing with a `timeout` WebGPUError (default 60 s). */
  readBackTimeoutMs?: number;
  /** How long to wait for an adapter and device (default 30 s). */
  startTimeoutMs?: number;
  /** Eager programs (one per kernel geometry) kept on the device; the least recently used beyond this are freed (default 64). */
  eagerPrograms?: number;
  /** Device runs posted and not yet done before the next one waits (default 2). */
  maxInFlight?: number;
  /** Faults to provoke on purpose (tests of the fault paths; see faults.ts). */
  injectFaults?: InjectedFaults;
}>;


/**
 * Starts the WebGPU backend: a worker thread that acquires an adapter and device. Left when
 * none can be had, with the reason (no `webgpu` package, no adapter, device refused) — the
 * caller can load the wasm backend instead.
 */
export async function createWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<E.Either<WebGPUError, WebGPUBackend>> {
  const timeoutMs = opts.readBackTimeoutMs ?? 60_000;
  if (typeof SharedArrayBuffer === 'undefined' || waitAsync === undefined) {
    return E.left(new WebGPUError('no-device', 'device', 'the webgpu backend needs SharedArrayBuffer and Atomics.waitAsync (Node 20)'));
  }
  let wt: typeof import('node:worker_threads');
  try {
    wt = await import('node:worker_threads');
  } catch {
    return E.left(new WebGPUError('no-device', 'device', 'the webgpu backend runs its device in a worker thread, and node:worker_threads is not available here'));
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new wt.MessageChannel();
  const worker = new wt.Worker(new URL('./worker.js', import.meta.url), { workerData: { port: port2, flag, faults: opts.injectFaults ?? {} }, transferList: [port2] });
  const failed = new Promise<string>((resolve) => {
    worker.once('error', (e) => resolve(`the device worker failed: ${e.message}`));
    worker.once('exit', (code) => resolve(`the device worker exited (code ${code})`));
  });
  const ready = waitAsync.call(Atomics, flag, 0, 0, opts.startTimeoutMs ?? 30_000);
  const outcome = ready.async ? await Promise.race([ready.value, failed]) : ready.value;
  const first = (wt.receiveMessageOnPort(port1)?.message as Answer | undefined)?.reply;
  if (first?.kind !== 'ready') {
    await worker.terminate();
    if (first?.kind === 'error') return E.left(errorFromData(first.error));
    return E.left(new WebGPUError('no-device', 'device', outcome === 'timed-out' ? 'no adapter or device within the start timeout' : String(outcome)));
  }
  worker.unref();
  const channel = createChannel({ worker, port: port1, flag, receive: wt.receiveMessageOnPort, timeoutMs, ...(opts.maxInFlight !== undefined ? { maxInFlight: opts.maxInFlight } : {}) });
  return E.right(webgpuBackend(channel, first.adapter, opts.eagerPrograms ?? 64));
}

type Shapes = readonly (readonly number[])[];

function webgpuBackend(channel: Channel, adapter: string, eagerPrograms: number): WebGPUBackend {
  let nextId = 0;
  let nextHandle = 1;
  const eager = new Map<string, number>();
  let closed = false;
  const live = (): Channel => {
    if (closed) throw new WebGPUError('device-lost', 'device', 'the webgpu backend was closed');
    return channel;
  };

  /** Runs one equation over inputs `[0 … n−1]` with output var n, building its program on first use. */
  const runEqn = (eqn: Omit<Eqn, 'inputs' | 'out'>, shapes: Shapes, inputs: readonly Float32Array[]): Float32Array => {
    const ch = live();
    const key = `${eqn.prim} ${JSON.stringify(eqn.params)} ${JSON.stringify(shapes)}`;
    let id = eager.get(key);
    if (id === undefined) {
      id = nextId++;
      const ins = inputs.map((_, i) => i);
      const out = inputs.length;
      const graph: Omit<Graph, 'consts'> = { vars: shapes.map((shape) => ({ shape })), inputs: ins, eqns: [{ ...eqn, inputs: ins, out } as Eqn], outputs: [out] };
      ch.call({ kind: 'build', program: id, spec: { ...graph, consts: [] } });
      if (eager.size >= eagerPrograms) {
        const [oldKey, oldId] = eager.entries().next().value!;
        eager.delete(oldKey);
        ch.post({ kind: 'free', program: oldId });
      }
    } else {
      eager.delete(key);
    }
    eager.set(key, id);
    const r = ch.call({ kind: 'run', program: id, inputs, outputs: 'read' });
    if (r.kind !== 'ran') throw new Error(`internal error: run answered ${r.kind}`);
    return r.outputs[0]!;
  };

  const convShapes = (g: ConvGeometry): Readonly<Record<'x' | 'w' | 'y', number[]>> => ({
    x: [g.n, g.c, g.h, g.w],
    w: [g.o, g.c, g.kh, g.kw],
    y: [g.n, g.o, g.oh, g.ow],
  });

  const read = (r: Reply): Float32Array[] => {
    if (r.kind !== 'data') throw new Error(`internal error: read answered ${r.kind}`);
    return r.values;
  };

  const backend: WebGPUBackend = {
    name: 'webgpu',
    description: `WebGPU on ${adapter} (WGSL, 16×16 workgroup tiles, device in a worker thread)`,
    adapter,
    gemm(a: Float32Array, b: Float32Array, s: GemmSpec) {
      checkGemm(a, b, s);
      const sa = s.transA ? [s.k, s.m] : [s.m, s.k];
      const sb = s.transB ? [s.n, s.k] : [s.k, s.n];
      return runEqn({ prim: 'matmul', params: { transA: s.transA, transB: s.transB } }, [sa, sb, [s.m, s.n]], [a, b]);
    },
    conv2d(x, weight, g) {
      checkConvBuffers(g, { x, weight });
      const sh = convShapes(g);
      return runEqn({ prim: 'conv2d', params: { geometry: g } }, [sh.x, sh.w, sh.y], [x, weight]);
    },
    conv2dGradInput(dy, weight, g) {
      checkConvBuffers(g, { dy, weight });
      const sh = convShapes(g);
      return runEqn({ prim: 'conv2dGradInput', params: { geometry: g } }, [sh.y, sh.w, sh.x], [dy, weight]);
    },
    conv2dGradWeight(x, dy, g) {
      checkConvBuffers(g, { x, dy });
      const sh = convShapes(g);
      return runEqn({ prim: 'conv2dGradWeight', params: { geometry: g } }, [sh.x, sh.y, sh.w], [x, dy]);
    },
    powerIteration(w, rows, cols, u, eps = 1e-12): PowerIterationResult {
      checkPowerIteration(w, rows, cols, u);
      const packed = runEqn({ prim: 'powerIteration', params: { eps } }, [[rows, cols], [rows], [rows + cols + 1]], [w, u]);
      return { u: packed.slice(0, rows), v: packed.slice(rows, rows + cols), sigma: packed[rows + cols]! };
    },
    adamUpdate(leaves: readonly AdamLeaf[], spec: AdamStepSpec) {
      const total = checkAdamLeaves(leaves);
      const { c1, c2, lr, ...hyper } = spec;
      const scalars = [c1, c2, lr].map((v) => new Float32Array([v]));
      const parts = (['param', 'grad', 'm', 'v'] as const).flatMap((f) => leaves.map((l) => l[f]));
      const shapes = [[], [], [], ...parts.map((p) => [p.length]), [3 * total]];
      return runEqn({ prim: 'adamUpdate', params: hyper }, shapes, [...scalars, ...parts]);
    },
    compile: (graph) => compileForDevice(graph, { channel: live(), owner: backend, programId: () => nextId++, handleId: () => nextHandle++ }),
    read: async (handles) => read(await live().request({ kind: 'read', handles })),
    readSync: (handles) => read(live().call({ kind: 'read', handles })),
    release(handles) {
      if (closed) return;
      try {
        channel.post({ kind: 'release', handles });
      } catch {
        // A broken backend: its buffers go with the device when it closes.
      }
    },
    stats() {
      const r = live().call({ kind: 'stats' });
      if (r.kind !== 'stats') throw new Error(`internal error: stats answered ${r.kind}`);
      return r.stats;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await channel.close();
    },
  };
  return backend;
}
