import { adamConstants, checkAdamLeaves } from '../adam_step.js';
import type { AdamLeaf, AdamStepSpec } from '../backend.js';
import type { Arena } from './arena.js';
import type { WasmExports } from './exports.js';
import type { WorkerPool } from './pool.js';
import { JOB_ADAM } from './protocol.js';

/**
 * The fused Adam step on the wasm module (`assembly/adam.ts`). Each leaf is one `adamStep`
 * pass over its p, g, m and v writing p', m', v' into its place in each of the three sections
 * of the packed `[3·total]` result, split in element ranges across the pool's threads when it
 * is large. `adamUpdate` stages Float32Arrays end to end into the arena and copies the packed
 * block out; `adamUpdateAt` runs on operands already in memory (the jit compiler's resident
 * graphs), so nothing is copied.
 */

/**
 * Leaves with fewer elements run on the calling thread alone (waking a worker costs about what
 * a pass over this many elements does).
 */
const MIN_SPLIT_ELEMENTS = 1 << 15;

const DECAY_MODE = { none: 0, l2: 1, decoupled: 2 } as const;

/** One leaf in linear memory: byte offsets of its param, gradient and moments, and its length. */
export type AdamLeafAt = Readonly<{ p: number; g: number; m: number; v: number; n: number }>;

export type AdamDriver = Readonly<{
  adamUpdate(leaves: readonly AdamLeaf[], spec: AdamStepSpec, out?: Float32Array): Float32Array;
  /** The packed result of `leaves` written at byte offset `out` (`[3·Σn]` floats, never overlapping an operand). */
  adamUpdateAt(leaves: readonly AdamLeafAt[], out: number, spec: AdamStepSpec): void;
}>;

export function createAdamDriver(opts: Readonly<{ exports: WasmExports; arena: Arena; pool: WorkerPool }>): AdamDriver {
  const { exports: k, arena, pool } = opts;
  const step = k.adamStep as (...a: number[]) => void;

  function adamUpdateAt(leaves: readonly AdamLeafAt[], out: number, spec: AdamStepSpec): void {
    const total = leaves.reduce((acc, l) => acc + l.n, 0);
    const c = adamConstants(spec);
    const scalars = [
      spec.rule === 'adamax' ? 1 : 0, c.b1, c.ob1, c.b2, c.ob2, c.eps, c.epsRoot, c.wd, DECAY_MODE[spec.decay], spec.epsRoot !== 0 ? 1 : 0, c.c1, c.c2, c.rate,
    ];
    let off = 0;
    for (const l of leaves) {
      const args = [l.p, l.g, l.m, l.v, out + 4 * off, out + 4 * (total + off), out + 4 * (2 * total + off), ...scalars];
      off += l.n;
      if (pool.threads === 1 || l.n < MIN_SPLIT_ELEMENTS) {
        step(...args, 0, l.n);
        continue;
      }
      // Ranges of a multiple of 4 elements, so only the last one has a scalar tail.
      const per = Math.ceil(l.n / pool.threads / 4) * 4;
      const jobs: number[][] = [];
      for (let i0 = per; i0 < l.n && jobs.length < pool.threads - 1; i0 += per) jobs.push([...args, i0, Math.min(l.n, i0 + per)]);
      pool.run(JOB_ADAM, jobs, () => step(...args, 0, Math.min(per, l.n)));
    }
  }

  function adamUpdate(leaves: readonly AdamLeaf[], spec: AdamStepSpec, out?: Float32Array): Float32Array {
    const total = checkAdamLeaves(leaves);
    arena.reset();
    const p = arena.stageAll(leaves.map((l) => l.param), 'adam params');
    const g = arena.stageAll(leaves.map((l) => l.grad), 'adam gradients');
    const m = arena.stageAll(leaves.map((l) => l.m), 'adam first moments');
    const v = arena.stageAll(leaves.map((l) => l.v), 'adam second moments');
    const res = arena.alloc(3 * total, 'adam result');
    // The staged arrays are one leaf of `total` elements: one pass, as before staging.
    adamUpdateAt([{ p, g, m, v, n: total }], res, spec);
    return arena.take(res, 3 * total, out);
  }

  return { adamUpdate, adamUpdateAt };
}
