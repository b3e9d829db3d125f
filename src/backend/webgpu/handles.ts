import type { BufferStore } from './buffers.js';
import { WebGPUError, type WebGPUErrorData } from './errors.js';

/**
 * The worker's table of device tensors (the README's "Who frees device buffers"): handle → the
 * GPUBuffer holding one output of a device run (and its length in bytes), or the error of the
 * run that should have produced it. The calling thread numbers handles; `release` (from
 * `dispose` or the tensors' FinalizationRegistry) puts a buffer back in a pool of free buffers
 * by size, where the next run's outputs are taken from, so a training loop reuses the same few
 * buffers step after step.
 */
export type HandleTable = Readonly<{
  /** A buffer of `bytes` for handle `h` (pooled, or new), held by `h` from now on. */
  take(h: number, bytes: number, what: string): Promise<GPUBuffer>;
  /** The buffer of `h`; a WebGPUError if the run that should have written it failed, or `h` is unknown. */
  get(h: number): Readonly<{ buffer: GPUBuffer; bytes: number }>;
  /** Marks handles as failed with the error of the run that should have written them (their buffers back to the pool). */
  fail(hs: readonly number[], error: WebGPUErrorData): void;
  release(hs: readonly number[]): void;
  /** Destroys every buffer, held or pooled. */
  clear(): void;
  readonly held: number;
  readonly pooled: number;
}>;

type Entry = Readonly<{ buffer: GPUBuffer; bytes: number }> | Readonly<{ error: WebGPUErrorData }>;

/** The most free buffers kept per size; more are destroyed. */
const POOL_PER_SIZE = 64;

export function createHandleTable(buffers: BufferStore): HandleTable {
  const table = new Map<number, Entry>();
  const pool = new Map<number, GPUBuffer[]>();
  let pooled = 0;
  const padded = (bytes: number): number => Math.max(4, Math.ceil(bytes / 4) * 4);
  const giveBack = (e: Entry | undefined): void => {
    if (e === undefined || !('buffer' in e)) return;
    const free = pool.get(e.buffer.size) ?? [];
    if (free.length >= POOL_PER_SIZE) {
      buffers.destroy(e.buffer);
      return;
    }
    free.push(e.buffer);
    pool.set(e.buffer.size, free);
    pooled++;
  };
  return {
    async take(h, bytes, what) {
      giveBack(table.get(h));
      const reuse = pool.get(padded(bytes))?.pop();
      if (reuse !== undefined) pooled--;
      const buffer = reuse ?? (await buffers.storage(bytes, what));
      table.set(h, { buffer, bytes });
      return buffer;
    },
    get(h) {
      const e = table.get(h);
      if (e === undefined) throw new WebGPUError('validation', 'device tensor', `handle ${h} is not on the device (freed, or never made)`);
      if ('error' in e) throw new WebGPUError(e.error.kind, e.error.kernel, `this value's run failed: ${e.error.message}`);
      return e;
    },
    fail(hs, error) {
      for (const h of hs) {
        giveBack(table.get(h));
        table.set(h, { error });
      }
    },
    release(hs) {
      for (const h of hs) {
        giveBack(table.get(h));
        table.delete(h);
      }
    },
    clear() {
      for (const e of table.values()) if ('buffer' in e) buffers.destroy(e.buffer);
      for (const free of pool.values()) for (const b of free) buffers.destroy(b);
      table.clear();
      pool.clear();
      pooled = 0;
    },
    get held() {
      let n = 0;
      for (const e of table.values()) if ('buffer' in e) n++;
      return n;
    },
    get pooled() {
      return pooled;
    },
  };
}
