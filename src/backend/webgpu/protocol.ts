import type { MessagePort } from 'node:worker_threads';
import type { Graph } from '../graph.js';
import type { WebGPUErrorData } from './errors.js';

/**
 * The messages between the calling thread (`channel.ts`) and the device's worker (`worker.ts`).
 * Every request gets exactly one reply, in order.
 */

/** A graph as the worker takes it: constants as plain arrays. */
export type ProgramSpec = Omit<Graph, 'consts'> & Readonly<{ consts: ReadonlyArray<Readonly<{ id: number; data: Float32Array }>> }>;

/** An input of a run: host data to upload, or output `output` of the program's previous run (still on the device). */
export type RunInput = Float32Array | Readonly<{ previousOutput: number }>;

export type Request =
  | Readonly<{ kind: 'build'; program: number; spec: ProgramSpec }>
  | Readonly<{ kind: 'run'; program: number; inputs: readonly RunInput[] }>
  | Readonly<{ kind: 'free'; program: number }>
  | Readonly<{ kind: 'stats' }>
  /** Frees everything, destroys the device and ends the worker (no reply). */
  | Readonly<{ kind: 'close' }>;

/** Counts that describe the device side (for tests and benchmarks). */
export type DeviceStats = Readonly<{ liveBuffers: number; liveBytes: number; programs: number; pipelines: number }>;

export type BuildInfo = Readonly<{ dispatches: number; residentBytes: number; readBackBytes: number }>;

export type Reply =
  | Readonly<{ kind: 'ready'; adapter: string }>
  | Readonly<{ kind: 'built'; info: BuildInfo }>
  | Readonly<{ kind: 'ran'; outputs: Float32Array[] }>
  | Readonly<{ kind: 'freed' }>
  | Readonly<{ kind: 'stats'; stats: DeviceStats }>
  | Readonly<{ kind: 'error'; error: WebGPUErrorData }>;

/** What the worker is started with. */
export type WorkerData = Readonly<{ port: MessagePort; flag: Int32Array }>;
