import type { MessagePort } from 'node:worker_threads';
import type { Graph } from '../graph.js';
import type { WebGPUErrorData } from './errors.js';
import type { InjectedFaults } from './faults.js';

/**
 * The messages between the calling thread (`channel.ts`) and the device's worker (`worker.ts`).
 * Every request travels with a number (`Envelope`); the worker handles requests in order and
 * answers each (except `release`, `free` and `close`) with a reply carrying that number — at once, or
 * later for reads and device runs, which complete when the device has done the work.
 */

/** A graph as the worker takes it: constants as plain arrays. */
export type ProgramSpec = Omit<Graph, 'consts'> & Readonly<{ consts: ReadonlyArray<Readonly<{ id: number; data: Float32Array }>> }>;

/** An input of a run: host data to upload, or a device buffer of the handle table (copied on the device). */
export type RunInput = Float32Array | Readonly<{ handle: number }>;

/** Where a run's outputs go: read back to the host (eager kernels, reply `ran`), or into new device buffers under these handles (jit, reply `done`). */
export type RunOutputs = 'read' | Readonly<{ handles: readonly number[] }>;

export type Request =
  | Readonly<{ kind: 'build'; program: number; spec: ProgramSpec }>
  | Readonly<{ kind: 'run'; program: number; inputs: readonly RunInput[]; outputs: RunOutputs }>
  /** The values of device buffers (reply `data`, once the device has written them). */
  | Readonly<{ kind: 'read'; handles: readonly number[] }>
  /** Frees device buffers (no reply). */
  | Readonly<{ kind: 'release'; handles: readonly number[] }>
  /** Frees a program and its buffers (no reply). */
  | Readonly<{ kind: 'free'; program: number }>
  | Readonly<{ kind: 'stats' }>
  /** Frees everything, destroys the device and ends the worker (no reply). */
  | Readonly<{ kind: 'close' }>;

export type Envelope = Readonly<{ id: number; req: Request }>;

/** Counts that describe the device side (for tests and benchmarks). */
export type DeviceStats = Readonly<{
  liveBuffers: number;
  liveBytes: number;
  programs: number;
  pipelines: number;
  /** Device buffers held by handles (device tensors not yet freed), and free ones pooled for reuse. */
  handles: number;
  pooled: number;
  /** Totals since the backend started: compute dispatches encoded, and bytes read back to the host. */
  dispatches: number;
  readBackBytes: number;
}>;

export type BuildInfo = Readonly<{ dispatches: number; residentBytes: number; readBackBytes: number }>;

export type Reply =
  | Readonly<{ kind: 'ready'; adapter: string }>
  | Readonly<{ kind: 'built'; info: BuildInfo }>
  | Readonly<{ kind: 'ran'; outputs: Float32Array[] }>
  | Readonly<{ kind: 'done' }>
  | Readonly<{ kind: 'data'; values: Float32Array[] }>
  | Readonly<{ kind: 'stats'; stats: DeviceStats }>
  | Readonly<{ kind: 'error'; error: WebGPUErrorData }>;

export type Answer = Readonly<{ id: number; reply: Reply }>;

/** The number of the one unrequested answer: the device was lost (an error reply). */
export const LOST = -1;

/** What the worker is started with: `flag[0]` counts the replies it has posted. */
export type WorkerData = Readonly<{ port: MessagePort; flag: Int32Array; faults: InjectedFaults }>;
