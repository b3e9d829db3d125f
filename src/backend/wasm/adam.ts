import { adamConstants, checkAdamLeaves } from '../adam_step.js';
import type { AdamLeaf, AdamStepSpec } from '../backend.js';
import type { Arena } from './arena.js';
import type { WasmExports } from './exports.js';
import type { WorkerPool } from './pool.js';
import { JOB_ADAM } from './protocol.js';

/**
 * The fused Adam step on the wasm module (`assembly/adam.ts`): every leaf's p, g, m and v are
 * staged end to end into four arrays of `total` floats, one `adamStep` pass writes p', m', v'
 * into one `[3·total]` block (the packed result), split in element ranges across the pool's
 * threads, and the block is copied out once.
 */

/**
 * Steps with fewer elements run on the calling thread alone (waking a worker costs about what
 * a pass over this many elements does).
 */
const MIN_SPLIT_ELEMENTS = 1 << 15;

const DECAY_MODE = { none: 0, l2: 1, decoupled: 2 } as const;

export function createAdamDriver(opts: Readonly<{ exports: WasmExports; arena: Arena; pool: WorkerPool }>) {
  const { exports: k, arena, pool } = opts;
  return function adamUpdate(leaves: readonly AdamLeaf[], spec: AdamStepSpec, out?: Float32Array): Float32Array {
    const total = checkAdamLeaves(leaves);
    arena.reset();
    const p = arena.stageAll(leaves.map((l) => l.param), 'adam params');
    const g = arena.stageAll(leaves.map((l) => l.grad), 'adam gradients');
    const m = arena.stageAll(leaves.map((l) => l.m), 'adam first moments');
    const v = arena.stageAll(leaves.map((l) => l.v), 'adam second moments');
    const res = arena.alloc(3 * total, 'adam result');
    const c = adamConstants(spec);
    const args = [
      p, g, m, v, res, res + 4 * total, res + 8 * total,
      spec.rule === 'adamax' ? 1 : 0, c.b1, c.ob1, c.b2, c.ob2, c.eps, c.epsRoot, c.wd, DECAY_MODE[spec.decay], spec.epsRoot !== 0 ? 1 : 0, c.c1, c.c2, c.rate,
    ];
    const step = k.adamStep as (...a: number[]) => void;
    if (pool.threads === 1 || total < MIN_SPLIT_ELEMENTS) step(...args, 0, total);
    else {
      // Ranges of a multiple of 4 elements, so only the last one has a scalar tail.
      const per = Math.ceil(total / pool.threads / 4) * 4;
      const jobs: number[][] = [];
      for (let i0 = per; i0 < total && jobs.length < pool.threads - 1; i0 += per) jobs.push([...args, i0, Math.min(total, i0 + per)]);
      pool.run(JOB_ADAM, jobs, () => step(...args, 0, Math.min(per, total)));
    }
    return arena.take(res, 3 * total, out);
  };
}
