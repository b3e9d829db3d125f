import * as E from 'fp-ts/lib/Either.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { IoError, ParseError, ValueError, type PureganError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { RunState } from '../train/loop.js';
import { runConfigDifferences, type RunConfig } from '../train/run_config.js';
import { atomicWriteFile } from './atomic_write.js';
import { listCheckpointSteps, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { encodePng, writeSampleGrid, type GridOptions } from './png.js';

/**
 * A run directory:
 *
 *     config.json              the fully resolved RunConfig (rewritten on resume: steps may grow)
 *     metrics.jsonl            one JSON object per logged step: { step, time, ...metrics }, and
 *                              { step, eval: {...} } per evaluation
 *     samples/step_000500.png  a grid from one fixed latent batch every `every.sample` steps
 *     checkpoints/             crash-safe checkpoints of the whole RunState (node/checkpoint.ts)
 */
export const runPaths = (dir: string) =>
  Object.freeze({
    config: path.join(dir, 'config.json'),
    metrics: path.join(dir, 'metrics.jsonl'),
    samples: path.join(dir, 'samples'),
    checkpoints: path.join(dir, 'checkpoints'),
    sample: (step: number) => path.join(dir, 'samples', `step_${String(step).padStart(6, '0')}.png`),
  });

const errorMessage = (e: unknown): string => (e as Error).message;

/** The run's config.json, or undefined when the directory holds none. */
export async function readRunConfig(dir: string): Promise<E.Either<PureganError, RunConfig | undefined>> {
  const file = runPaths(dir).config;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return E.right(undefined);
    return E.left(new IoError(`cannot read ${file}: ${errorMessage(e)}`));
  }
  try {
    const j: unknown = JSON.parse(text);
    if (typeof j !== 'object' || j === null || Array.isArray(j)) return E.left(new ParseError(`${file} is not a JSON object`));
    return E.right(j as RunConfig);
  } catch {
    return E.left(new ParseError(`${file} is not valid JSON`));
  }
}

export type OpenRunOptions = Readonly<{
  dir: string;
  config: RunConfig;
  resume: boolean;
  /** The RunState the config builds, to check a checkpoint's structure and shapes against. */
  like: RunState;
}>;

/**
 * Prepares `dir` for a run of `config`. A new run needs a directory that holds no run (no
 * config.json, no checkpoint): another run's directory is refused, naming how its config
 * differs. With `resume`, the directory must hold a run whose config matches in everything a
 * checkpoint depends on (`runConfigDifferences`), and its newest checkpoint is loaded and checked
 * against `like`; metrics logged after that checkpoint are dropped (they are logged again).
 * Either way config.json is (re)written with the resolved config. Right: the state to resume,
 * or undefined for a new run.
 */
export async function openRun(o: OpenRunOptions): Promise<E.Either<PureganError, RunState | undefined>> {
  const paths = runPaths(o.dir);
  const existing = await readRunConfig(o.dir);
  if (E.isLeft(existing)) return existing;
  const steps = await listCheckpointSteps(paths.checkpoints);
  if (E.isLeft(steps)) return steps;
  const old = existing.right;
  let state: RunState | undefined;
  if (!o.resume) {
    if (old !== undefined || steps.right.length > 0) {
      const diffs = old === undefined ? [] : runConfigDifferences(old, o.config);
      const what = old === undefined ? 'checkpoints' : `a run of preset ${JSON.stringify(old.preset)}`;
      const differs = diffs.length > 0 ? ` with another config (${diffs.join('; ')})` : '';
      return E.left(new ValueError(`${o.dir} already holds ${what}${differs}; pass --resume to continue it, or choose another --out`));
    }
  } else {
    if (old === undefined) return E.left(new ValueError(`cannot resume: ${o.dir} holds no run (no config.json)`));
    const diffs = runConfigDifferences(old, o.config);
    if (diffs.length > 0) return E.left(new ValueError(`cannot resume ${o.dir}: the config differs from the run's: ${diffs.join('; ')}`));
    const ck = await loadCheckpoint({ dir: paths.checkpoints, like: o.like });
    if (E.isLeft(ck)) return E.left(ck.left.tag === 'IoError' && steps.right.length === 0 ? new ValueError(`cannot resume: ${o.dir} has no checkpoint`) : ck.left);
    state = ck.right.tree as RunState;
    const trimmed = await trimMetrics(paths.metrics, ck.right.step);
    if (E.isLeft(trimmed)) return trimmed;
  }
  try {
    await fs.mkdir(paths.samples, { recursive: true });
  } catch (e) {
    return E.left(new IoError(`cannot create the run directory ${o.dir}: ${errorMessage(e)}`));
  }
  const wrote = await atomicWriteFile(paths.config, new TextEncoder().encode(`${JSON.stringify(o.config, null, 2)}\n`));
  if (E.isLeft(wrote)) return wrote;
  return E.right(state);
}

/** Keeps the metrics lines of steps ≤ `step` (those a resumed run does not log again). */
async function trimMetrics(file: string, step: number): Promise<E.Either<IoError, void>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? E.right(undefined) : E.left(new IoError(`cannot read ${file}: ${errorMessage(e)}`));
  }
  const kept = text.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      return (JSON.parse(line) as { step?: number }).step! <= step;
    } catch {
      return false;
    }
  });
  return atomicWriteFile(file, new TextEncoder().encode(kept.map((l) => `${l}\n`).join('')));
}

/** Appends one JSON line to metrics.jsonl. */
export async function appendMetrics(dir: string, record: Readonly<Record<string, unknown>>): Promise<E.Either<IoError, void>> {
  const file = runPaths(dir).metrics;
  try {
    await fs.appendFile(file, `${JSON.stringify(record)}\n`);
    return E.right(undefined);
  } catch (e) {
    return E.left(new IoError(`cannot append to ${file}: ${errorMessage(e)}`));
  }
}

/** The metrics.jsonl records of a run, in order. */
export async function readMetricsLog(dir: string): Promise<E.Either<PureganError, Record<string, unknown>[]>> {
  const file = runPaths(dir).metrics;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    return E.left(new IoError(`cannot read ${file}: ${errorMessage(e)}`));
  }
  const out: Record<string, unknown>[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return E.left(new ParseError(`${file} line ${i + 1} is not valid JSON`));
    }
  }
  return E.right(out);
}

/** Writes the run's checkpoint of `run` at `step` (the RunState, with the config as metadata). */
export function writeRunCheckpoint(o: Readonly<{ dir: string; run: RunState; step: number; config: RunConfig }>) {
  return saveCheckpoint({ dir: runPaths(o.dir).checkpoints, step: o.step, tree: o.run, metadata: { 'run.config': JSON.stringify(o.config) }, keep: o.config.keep });
}

/**
 * A scatter plot of 2-D points `[N, 2]` as a 256×256 grey PNG over [−extent, extent]² (white
 * points on black, the axes in dark grey), for the Gaussian-mixture runs.
 */
export function scatterPng(points: Tensor, extent: number): Uint8Array {
  const size = 256;
  const data = new Uint8Array(size * size);
  const px = (v: number): number => Math.round(((v + extent) / (2 * extent)) * (size - 1));
  const mid = px(0);
  for (let i = 0; i < size; i++) {
    data[mid * size + i] = 60;
    data[i * size + mid] = 60;
  }
  const n = points.shape[0] ?? 0;
  for (let i = 0; i < n; i++) {
    const x = px(points.data[2 * i]!);
    const y = size - 1 - px(points.data[2 * i + 1]!);
    if (x >= 0 && x < size && y >= 0 && y < size) data[y * size + x] = 255;
  }
  return encodePng({ width: size, height: size, channels: 1, data });
}

/** Writes a sample image: a grid of images `[N, C, H, W]`, or a scatter plot of points `[N, 2]`. */
export async function writeSampleImage(file: string, x: Tensor, grid: GridOptions = {}): Promise<E.Either<IoError, void>> {
  if (x.shape.length === 2 && x.shape[1] === 2) {
    let extent = 1;
    for (const v of x.data) if (Number.isFinite(v)) extent = Math.max(extent, Math.abs(v));
    return atomicWriteFile(file, scatterPng(x, Math.min(Math.ceil(extent * 1.1), 20)));
  }
  return writeSampleGrid(file, x, grid);
}
