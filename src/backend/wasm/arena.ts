import { ArenaError, BackendError, ShapeError } from '../../core/errors.js';

/**
 * The layout of linear memory: the module's static data, then one GEMM scratch area per
 * thread (packed panels), then the resident region of jit graphs (empty until one runs), then
 * a bump arena that is reset at every kernel call. Inputs are
 * copied in, the kernel runs, and the result is copied out into a fresh Float32Array (or
 * `out`). Only byte offsets are kept across allocations, never typed-array views, because
 * `memory.grow` detaches views. Growth beyond `maxBytes` is an ArenaError naming the size asked
 * for, never a wrong result.
 */

export const PAGE_BYTES = 65536;
/** The largest linear memory the backend accepts (2 GiB: byte offsets stay below 2³¹, i32-safe). */
export const MAX_MEMORY_BYTES = 2 ** 31;
/** Pages a memory starts with; it grows on demand. */
const INITIAL_PAGES = 64;
/** Every block starts on a cache line, so SIMD loads of packed panels never straddle one. */
const ALIGN_BYTES = 64;

const align = (v: number): number => Math.ceil(v / ALIGN_BYTES) * ALIGN_BYTES;

/** A linear memory of at most `maxBytes`, shared (for the worker threads) when asked. */
export function createMemory(maxBytes: number, shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: Math.floor(maxBytes / PAGE_BYTES), ...(shared ? { shared: true } : {}) });
}

export type Arena = Readonly<{
  /** Byte offset of thread t's GEMM scratch area (t = 0 is the calling thread). */
  scratch(thread: number): number;
  /** Frees everything allocated since the last reset; throws once the arena is closed. */
  reset(): void;
  /** Reserves room for `floats` f32s (`what` names them in the error); returns the byte offset. */
  alloc(floats: number, what: string): number;
  /** Reserves room for `data` and copies it in; returns the byte offset. */
  stage(data: Float32Array, what: string): number;
  /** Reserves room for the arrays end to end (no gaps) and copies them in; returns the byte offset of the first. */
  stageAll(parts: readonly Float32Array[], what: string): number;
  /** Copies `floats` f32s at `off` out: into `out` when given (its size checked), else into a fresh array. */
  take(off: number, floats: number, out?: Float32Array): Float32Array;
  /** Current size of linear memory in bytes. */
  bytes(): number;
  /**
   * The resident region (jit graphs keep their tensors there across a run): at least `bytes`
   * bytes at a fixed offset below the bump arena, which moves up when the region grows. Its
   * contents belong to whoever last called `claim` with a different owner (see `owner`).
   * Returns the region's byte offset. Never call it while a kernel's bump allocations are live.
   */
  resident(bytes: number, what: string): number;
  /** Makes `owner` the region's user; returns the previous one (a graph rewrites what it keeps there when it was not the owner). */
  claim(owner: object): object | undefined;
  /** A Float32Array over all of linear memory, renewed when memory grew (growth detaches or replaces the buffer). */
  f32(): Float32Array;
  /** A Float64Array over all of linear memory, renewed likewise. */
  f64(): Float64Array;
  /** Later resets throw: the backend was closed. */
  close(): void;
}>;

/**
 * The arena on `memory` above the module's static data (which ends at `heapBase`), after
 * `threads` scratch areas of `scratchBytes` each.
 */
export function createArena(
  opts: Readonly<{ memory: WebAssembly.Memory; heapBase: number; scratchBytes: number; threads: number; maxBytes: number }>,
): Arena {
  const { memory, maxBytes } = opts;
  const scratchSize = align(opts.scratchBytes);
  const firstScratch = align(opts.heapBase);
  const regionStart = align(firstScratch + opts.threads * scratchSize);
  let base = regionStart;
  let top = base;
  let closed = false;
  let owner: object | undefined;
  let f32 = new Float32Array(0);
  let f64 = new Float64Array(0);
  const ensure = (end: number): void => {
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    try {
      memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    } catch (e) {
      throw new ArenaError(`wasm memory could not grow to ${end} bytes: ${(e as Error).message}`, end, maxBytes);
    }
  };
  ensure(base);
  const alloc = (floats: number, what: string): number => {
    const off = align(top);
    const end = off + floats * 4;
    if (end > maxBytes) {
      throw new ArenaError(
        `the wasm arena needs ${end} bytes for ${what} (${floats} floats) but is limited to ${maxBytes} bytes; ` +
          'use smaller batches or load the backend with a larger maxMemoryBytes',
        end,
        maxBytes,
      );
    }
    ensure(end);
    top = end;
    return off;
  };
  return {
    scratch: (thread) => firstScratch + thread * scratchSize,
    reset() {
      if (closed) throw new BackendError('this wasm backend was closed; load a new one');
      top = base;
    },
    alloc,
    stage(data, what) {
      const off = alloc(data.length, what);
      new Float32Array(memory.buffer, off, data.length).set(data);
      return off;
    },
    stageAll(parts, what) {
      const off = alloc(parts.reduce((n, a) => n + a.length, 0), what);
      let at = off;
      for (const a of parts) {
        new Float32Array(memory.buffer, at, a.length).set(a);
        at += 4 * a.length;
      }
      return off;
    },
    take(off, floats, out) {
      const view = new Float32Array(memory.buffer, off, floats);
      if (out === undefined) return view.slice();
      if (out.length !== floats) throw new ShapeError(`out has ${out.length} elements, the result needs ${floats}`, { out: [out.length] });
      out.set(view);
      return out;
    },
    bytes: () => memory.buffer.byteLength,
    resident(bytes, what) {
      if (closed) throw new BackendError('this wasm backend was closed; load a new one');
      const end = align(regionStart + bytes);
      if (end > base) {
        if (end > maxBytes) {
          throw new ArenaError(
            `the wasm arena needs ${end} bytes for ${what} but is limited to ${maxBytes} bytes; load the backend with a larger maxMemoryBytes`,
            end,
            maxBytes,
          );
        }
        ensure(end);
        base = end;
        top = Math.max(top, base);
      }
      return regionStart;
    },
    claim(next) {
      const prev = owner;
      owner = next;
      return prev;
    },
    f32() {
      const buf = memory.buffer;
      if (f32.buffer !== buf || f32.byteLength !== buf.byteLength) f32 = new Float32Array(buf);
      return f32;
    },
    f64() {
      const buf = memory.buffer;
      if (f64.buffer !== buf || f64.byteLength !== buf.byteLength) f64 = new Float64Array(buf);
      return f64;
    },
    close() {
      closed = true;
    },
  };
}
