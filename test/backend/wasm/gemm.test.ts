/**
 * The GEMM driver on operand views: the kernel reads op(A) and op(B) and writes C exactly at
 * the elements `elementOffset` names (segmented, transposed and plain views, every path of the
 * kernel: B read in place, A read in place, both packed), checked against float64 products of
 * the matrices gathered with that formula; nothing else in C's memory changes. On two threads
 * the same calls are bitwise identical to one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createArena, createMemory, type Arena } from '../../../src/backend/wasm/arena.js';
import { createGemmDriver, MIN_SPLIT_FLOPS, type GemmCall } from '../../../src/backend/wasm/gemm.js';
import { compileKernels, instantiateKernels } from '../../../src/backend/wasm/load.js';
import { channelRows, dense, elementOffset, type MatrixOperand } from '../../../src/backend/wasm/operand.js';
import { singleThread, startPool, type WorkerPool } from '../../../src/backend/wasm/pool.js';
import { mulberry } from '../../helpers/seeded.js';

const U = 2 ** -24;
const SENTINEL = 1234.5;

/** `posted`: the number of worker jobs of each GEMM the driver split (GEMMs it ran on the calling thread alone add nothing). */
type Rig = { memory: WebAssembly.Memory; arena: Arena; gemm: (call: GemmCall) => void; pool: WorkerPool; posted: number[]; tileRows: number };

async function rig(threads: number, minSplitFlops?: number): Promise<Rig> {
  const shared = threads > 1;
  const { module } = await compileKernels({ variant: 'relaxed', shared, sources: undefined });
  const memory = createMemory(64 * 2 ** 20, shared);
  const exports = await instantiateKernels(module, memory);
  const pool = shared ? await startPool({ module, memory, threads }) : singleThread;
  const arena = createArena({ memory, heapBase: exports.heapBase(), scratchBytes: exports.scratchBytes(), threads, maxBytes: 64 * 2 ** 20 });
  const posted: number[] = [];
  const counting: WorkerPool = {
    ...pool,
    run(kind, jobs, own) {
      if (jobs.length > 0) posted.push(jobs.length);
      pool.run(kind, jobs, own);
    },
  };
  return { memory, arena, gemm: createGemmDriver({ exports, arena, pool: counting, ...(minSplitFlops === undefined ? {} : { minSplitFlops }) }), pool, posted, tileRows: exports.microRows() };
}

/** A view shape relative to pointer 0: how to build it for given rows and columns of op(M). */
type Layout = { kind: 'dense'; trans: boolean } | { kind: 'channels'; extra: number; pixels: number } | { kind: 'strided'; ld: number; segLen: number; segStride: number };

const layout = (readOnly: boolean): fc.Arbitrary<Layout> =>
  fc.oneof(
    fc.boolean().map((trans) => ({ kind: 'dense', trans: readOnly && trans }) as const),
    fc.record({ kind: fc.constant('channels' as const), extra: fc.integer({ min: 0, max: 3 }), pixels: fc.integer({ min: 1, max: 20 }) }),
    ...(readOnly
      ? [fc.record({ kind: fc.constant('strided' as const), ld: fc.integer({ min: 0, max: 50 }), segLen: fc.integer({ min: 1, max: 20 }), segStride: fc.integer({ min: 0, max: 60 }) })]
      : []),
  );

/** The view at `ptr` for op(M) `[rows, cols]`; a channel layout rounds cols up to whole images. */
function viewOf(l: Layout, ptr: number, rows: number): MatrixOperand {
  if (l.kind === 'dense') throw new Error('dense views need their column count');
  if (l.kind === 'channels') return channelRows(ptr, { channels: rows + l.extra, pixels: l.pixels });
  return { ptr, ld: l.ld, trans: false, segLen: l.segLen, segStride: l.segStride };
}
const build = (l: Layout, ptr: number, rows: number, cols: number): MatrixOperand =>
  l.kind === 'dense' ? dense(ptr, rows, cols, l.trans) : viewOf(l, ptr, rows);

/** 1 + the largest float offset any element of op(M) `[rows, cols]` has in `view`. */
function span(view: MatrixOperand, rows: number, cols: number): number {
  let most = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) most = Math.max(most, elementOffset(view, i, j) + 1);
  return most;
}

const dim = fc.oneof(fc.constantFrom(1, 4, 8, 17, 65, 70), fc.integer({ min: 1, max: 40 }));
const depth = fc.oneof(fc.constantFrom(1, 16, 130), fc.integer({ min: 1, max: 40 }));


type Case = { m: number; n: number; k: number; la: Layout; lb: Layout; lc: Layout; accumulate: boolean; seed: number };
const cases = fc.record({ m: dim, n: dim, k: depth, la: layout(true), lb: layout(true), lc: layout(false), accumulate: fc.boolean(), seed: fc.integer() });
const record = (m: fc.Arbitrary<number>, n: fc.Arbitrary<number>, k: fc.Arbitrary<number>) =>
  fc.record({ m, n, k, la: layout(true), lb: layout(true), lc: layout(false), accumulate: fc.boolean(), seed: fc.integer() });
/** C with one or two columns (the kernel's narrow path), or rows (its short path), and their fallbacks for segmented operands. */
const narrowCases = record(dim, fc.constantFrom(1, 2), depth);
const shortCases = record(fc.constantFrom(1, 2), dim, depth);
/**
 * Large enough that the driver splits them (by rows when C is narrow, else by columns): 15 rows
 * are two parts of at least a whole register tile each for tiles of 4 or 5 rows (the build's is 4).
 */
const bigCases = fc.oneof(
  record(fc.constantFrom(15, 65, 130, 200), fc.constantFrom(24, 40, 130, 200), fc.constantFrom(130, 300, 520)),
  // Narrow C split by rows, short C by columns.
  record(fc.constantFrom(15, 65, 200), fc.constantFrom(1, 2), fc.constantFrom(130, 300)),
  record(fc.constantFrom(1, 2), fc.constantFrom(40, 200), fc.constantFrom(130, 300)),
);

/** Stages A, B and C (C's elements random when accumulating, SENTINEL elsewhere) and runs the GEMM; returns what the check needs. */
function runCase(r: Rig, c: Case) {
  const rnd = mulberry(c.seed);
  r.arena.reset();
  const fill = (floats: number, f: () => number): number => r.arena.stage(Float32Array.from({ length: floats }, f), 'test operand');
  const a0 = build(c.la, 0, c.m, c.k), b0 = build(c.lb, 0, c.k, c.n), c0 = build(c.lc, 0, c.m, c.n);
  const a = { ...a0, ptr: fill(span(a0, c.m, c.k), () => rnd() * 2 - 1) };
  const b = { ...b0, ptr: fill(span(b0, c.k, c.n), () => rnd() * 2 - 1) };
  const cFloats = span(c0, c.m, c.n);
  const cv = { ...c0, ptr: fill(cFloats, () => SENTINEL) };
  const mem = (): Float32Array => new Float32Array(r.memory.buffer);
  const before = new Float32Array(c.m * c.n);
  for (let i = 0; i < c.m; i++)
    for (let j = 0; j < c.n; j++) {
      const v = c.accumulate ? rnd() * 2 - 1 : SENTINEL;
      mem()[cv.ptr / 4 + elementOffset(cv, i, j)] = v;
      before[i * c.n + j] = v;
    }
  const at = (v: MatrixOperand, i: number, j: number): number => mem()[v.ptr / 4 + elementOffset(v, i, j)]!;
  r.gemm({ m: c.m, n: c.n, k: c.k, a, b, c: cv, accumulate: c.accumulate });
  return { a, b, cv, cFloats, before, at, region: mem().slice(cv.ptr / 4, cv.ptr / 4 + cFloats) };
}

describe('the GEMM driver on operand views', () => {
  let one: Rig;
  let two: Rig;
  let twoByDefault: Rig;
  before(async () => {
    one = await rig(1);
    // Every GEMM that can be split is, so the bitwise comparison covers the split paths.
    two = await rig(2, 0);
    twoByDefault = await rig(2);
  });
  after(async () => {
    await two.pool.close();
    await twoByDefault.pool.close();
  });

  /** Checks C against the float64 product (error bound 2(k + 1)u·Σ|a·b|) and that nothing outside C's view changed. */
  const checkCase = (c: Case): void => {
    const { a, b, cv, before, at, region } = runCase(one, c);
    const written = new Set<number>();
    for (let i = 0; i < c.m; i++)
      for (let j = 0; j < c.n; j++) {
        let want = c.accumulate ? before[i * c.n + j]! : 0;
        let bound = Math.abs(want);
        for (let p = 0; p < c.k; p++) {
          want += at(a, i, p) * at(b, p, j);
          bound += Math.abs(at(a, i, p) * at(b, p, j));
        }
        const got = at(cv, i, j);
        const tol = 2 * (c.k + 1) * U * 1.01 * bound + 1e-30;
        if (!(Math.abs(got - want) <= tol)) assert.fail(`C(${i}, ${j}) = ${got}, want ${want} (tolerance ${tol}) in ${JSON.stringify(c)}`);
        written.add(elementOffset(cv, i, j));
      }
    for (let o = 0; o < region.length; o++) if (!written.has(o) && region[o] !== SENTINEL) assert.fail(`C's memory changed at offset ${o} outside the view`);
  };

  it('computes op(A)·op(B) (+ C) at the elements elementOffset names and leaves the rest of C untouched', () => {
    fc.assert(fc.property(cases, checkCase), { numRuns: 80 });
  });

  it('computes C with one or two columns (dot products per column) for every layout', () => {
    fc.assert(fc.property(narrowCases, checkCase), { numRuns: 80 });
  });

  it('computes C with one or two rows (one row of C at a time) for every layout', () => {
    fc.assert(fc.property(shortCases, checkCase), { numRuns: 80 });
  });

  it('by default, a GEMM below MIN_SPLIT_FLOPS runs on the calling thread alone and one above it is split', () => {
    const dense = { kind: 'dense', trans: false } as const;
    const small = { m: 256, n: 128, k: 128, la: dense, lb: { kind: 'dense', trans: true } as const, lc: dense, accumulate: false, seed: 1 };
    const large = { ...small, n: 512 };
    assert.ok(2 * small.m * small.n * small.k < MIN_SPLIT_FLOPS && 2 * large.m * large.n * large.k >= MIN_SPLIT_FLOPS);
    twoByDefault.posted.length = 0;
    runCase(twoByDefault, small);
    assert.deepEqual(twoByDefault.posted, []);
    runCase(twoByDefault, large);
    assert.deepEqual(twoByDefault.posted, [1]);
  });

  it('a row split leaves no part thinner than a register tile (its rows join the part before), and gives the same bits', () => {
    const dense = { kind: 'dense', trans: false } as const;
    const tile = two.tileRows;
    // Two whole tiles and one or two rows: the second part would be those rows alone.
    for (const [m, n] of [[2 * tile + 1, 1], [2 * tile + 2, 2], [2 * tile + 1, 24]] as const) {
      const c = { m, n, k: 130, la: dense, lb: dense, lc: dense, accumulate: false, seed: m + n };
      const x = runCase(one, c).region;
      const splits = two.posted.length;
      const y = runCase(two, c).region;
      assert.equal(two.posted.length, splits, `split into a part of ${m % tile} rows: ${JSON.stringify(c)}`);
      assert.deepEqual(y, x);
    }
  });

  it('split across two threads, the same calls are bitwise identical to one thread', () => {
    fc.assert(
      fc.property(bigCases, (c) => {
        const x = runCase(one, c).region;
        const splits = two.posted.length;
        const y = runCase(two, c).region;
        // Every big case has two register tiles of rows or four of columns: with no flop threshold it is split.
        assert.equal(two.posted.length, splits + 1, `not split: ${JSON.stringify(c)}`);
        for (let o = 0; o < x.length; o++) if (!Object.is(x[o], y[o])) assert.fail(`offset ${o}: ${x[o]} vs ${y[o]} in ${JSON.stringify(c)}`);
      }),
      { numRuns: 30 },
    );
  });
});
