import * as E from 'fp-ts/lib/Either.js';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { IoError, ParseError, ValueError, type PureganError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { isTensor } from '../core/tensor.js';
import { decodePytree, encodePytree } from '../io/pytree_file.js';
import { treeDifferences } from '../io/tree_diff.js';
import { atomicWriteFile } from './atomic_write.js';

/**
 * Checkpoints of a whole pytree (a train state: params, layer state, optimiser state, EMA, RNG
 * key, step, data position, ...) in a directory, crash-safe and verified on load.
 *
 * Each checkpoint is two files:
 *
 *     step-00001200-9f3a6c1d.safetensors   the tree (`encodePytree`), named by step and hash prefix
 *     step-00001200.json                   { format, step, file, bytes, sha256 } — written last
 *
 * A checkpoint exists once its `.json` exists. Both files are written with `atomicWriteFile`,
 * data first, so at every instant each `.json` names a complete data file with a matching hash:
 * a crash at any point leaves the previous checkpoints intact (at worst an orphan data file or a
 * temporary file, which the next save removes). Saving the same step again writes a data file
 * of another name (its hash differs) and then replaces the `.json`, so even that never passes
 * through a state where the step's only copy is half written.
 *
 * Nothing non-finite is ever written: a NaN or ±∞ in any tensor or number of the tree refuses
 * the save (naming the first), so a diverged run cannot replace its last good checkpoint.
 *
 * Loading checks the `.json` (format, a plain file name, size), the size and sha256 of the data
 * file, then decodes it; with `like` (the tree the current config builds) it refuses a
 * checkpoint of another structure, listing every difference. One writer per directory.
 */

export const CHECKPOINT_FORMAT = 'puregan-checkpoint/1';
const SIDECAR = /^step-(\d{8,})\.json$/;
const DATA = /^step-(\d{8,})-[0-9a-f]{8}\.safetensors$/;

export type CheckpointInfo = Readonly<{
  step: number;
  /** The data file (safetensors). */
  file: string;
  /** The `.json` that makes the checkpoint exist. */
  sidecar: string;
  bytes: number;
  sha256: string;
}>;

export type Checkpoint = Readonly<{ step: number; tree: unknown; metadata: Readonly<Record<string, string>>; info: CheckpointInfo }>;

export type SaveCheckpointOptions = Readonly<{
  dir: string;
  step: number;
  tree: unknown;
  /** Strings kept with the tree (e.g. the resolved config as JSON). */
  metadata?: Readonly<Record<string, string>>;
  /** How many checkpoints to keep, newest by step (default 3; at least 1). */
  keep?: number;
}>;

const pad = (step: number): string => String(step).padStart(8, '0');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The first non-finite number in a tree, by path, or undefined. */
function firstNonFinite(tree: unknown): string | undefined {
  const walk = (x: unknown, at: string): string | undefined => {
    if (typeof x === 'number') return Number.isFinite(x) ? undefined : `${at || '<root>'} is ${x}`;
    if (isTensor(x)) {
      const i = x.data.findIndex((v) => !Number.isFinite(v));
      return i < 0 ? undefined : `${at || '<root>'} has ${x.data[i]} at flat index ${i}`;
    }
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) {
        const r = walk(x[i], `${at}[${i}]`);
        if (r) return r;
      }
    } else if (typeof x === 'object' && x !== null) {
      for (const k of Object.keys(x)) {
        const r = walk((x as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
        if (r) return r;
      }
    }
    return undefined;
  };
  return walk(tree, '');
}

/** Writes a checkpoint of `tree` at `step`, then keeps only the newest `keep`. */
export async function saveCheckpoint(opts: SaveCheckpointOptions): Promise<E.Either<PureganError, CheckpointInfo>> {
  try {
    checkOptions('saveCheckpoint', opts, { dir: true, step: true, tree: true, metadata: true, keep: true });
  } catch (e) {
    return E.left(e as ValueError);
  }
  const keep = opts.keep ?? 3;
  if (!Number.isSafeInteger(opts.step) || opts.step < 0) return E.left(new ValueError(`checkpoint step must be a non-negative integer, got ${opts.step}`));
  if (!Number.isSafeInteger(keep) || keep < 1) return E.left(new ValueError(`checkpoint keep must be an integer >= 1, got ${keep}`));
  const bad = firstNonFinite(opts.tree);
  if (bad) return E.left(new ValueError(`refusing to checkpoint step ${opts.step}: ${bad} (the previous checkpoints are kept)`));
  let bytes: Uint8Array;
  try {
    bytes = encodePytree(opts.tree, opts.metadata);
  } catch (e) {
    return E.left(e instanceof ValueError ? e : new ValueError(`cannot encode the checkpoint: ${(e as Error).message}`));
  }
  const hash = sha256(bytes);
  const file = path.join(opts.dir, `step-${pad(opts.step)}-${hash.slice(0, 8)}.safetensors`);
  const sidecar = path.join(opts.dir, `step-${pad(opts.step)}.json`);
  try {
    await fs.mkdir(opts.dir, { recursive: true });
  } catch (e) {
    return E.left(new IoError(`cannot create the checkpoint directory ${opts.dir}: ${(e as Error).message}`));
  }
  const wroteData = await atomicWriteFile(file, bytes);
  if (E.isLeft(wroteData)) return wroteData;
  const record = { format: CHECKPOINT_FORMAT, step: opts.step, file: path.basename(file), bytes: bytes.length, sha256: hash };
  const wroteSidecar = await atomicWriteFile(sidecar, new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
  if (E.isLeft(wroteSidecar)) return wroteSidecar;
  const rotated = await rotate(opts.dir, keep);
  if (E.isLeft(rotated)) return rotated;
  return E.right({ step: opts.step, file, sidecar, bytes: bytes.length, sha256: hash });
}

/** Steps that have a `.json` in `dir`, ascending (an absent directory has none). */
export async function listCheckpointSteps(dir: string): Promise<E.Either<IoError, number[]>> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return E.right([]);
    return E.left(new IoError(`cannot list checkpoints in ${dir}: ${(e as Error).message}`));
  }
  const steps = names.flatMap((n) => {
    const m = SIDECAR.exec(n);
    return m ? [Number(m[1])] : [];
  });
  return E.right(steps.sort((a, b) => a - b));
}

/**
 * Removes checkpoints beyond the newest `keep` (`.json` first, so a half-done removal leaves a
 * checkpoint absent, not corrupt), then data files no remaining `.json` names and temporary
 * files of checkpoint names (leftovers of a crash).
 */
async function rotate(dir: string, keep: number): Promise<E.Either<IoError, void>> {
  const steps = await listCheckpointSteps(dir);
  if (E.isLeft(steps)) return steps;
  try {
    for (const step of steps.right.slice(0, Math.max(0, steps.right.length - keep))) {
      await fs.rm(path.join(dir, `step-${pad(step)}.json`), { force: true });
    }
    const referenced = new Set<string>();
    for (const step of steps.right.slice(-keep)) {
      const s = await readSidecar(path.join(dir, `step-${pad(step)}.json`), step);
      if (E.isRight(s)) referenced.add(path.basename(s.right.file));
    }
    for (const name of await fs.readdir(dir)) {
      const orphanData = DATA.test(name) && !referenced.has(name);
      const staleTemp = name.startsWith('.step-') && name.includes('.tmp-');
      if (orphanData || staleTemp) await fs.rm(path.join(dir, name), { force: true });
    }
  } catch (e) {
    return E.left(new IoError(`cannot remove old checkpoints in ${dir}: ${(e as Error).message}`));
  }
  return E.right(undefined);
}

async function readSidecar(sidecar: string, step: number): Promise<E.Either<PureganError, CheckpointInfo>> {
  let text: string;
  try {
    text = await fs.readFile(sidecar, 'utf8');
  } catch (e) {
    return E.left(new IoError(`cannot read checkpoint ${sidecar}: ${(e as Error).message}`));
  }
  const corrupt = (why: string): E.Either<ParseError, never> => E.left(new ParseError(`checkpoint ${sidecar} is corrupt: ${why}`));
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return corrupt('it is not valid JSON');
  }
  if (typeof j !== 'object' || j === null) return corrupt('it is not a JSON object');
  const r = j as Record<string, unknown>;
  if (r['format'] !== CHECKPOINT_FORMAT) return corrupt(`format is ${JSON.stringify(r['format'])?.slice(0, 40)}, expected "${CHECKPOINT_FORMAT}"`);
  if (r['step'] !== step) return corrupt(`it records step ${JSON.stringify(r['step'])?.slice(0, 20)} but its name says ${step}`);
  const file = r['file'];
  if (typeof file !== 'string' || !DATA.test(file) || !file.startsWith(`step-${pad(step)}-`)) {
    return corrupt(`"file" must be a data file name of step ${step} in the same directory, got ${JSON.stringify(file)?.slice(0, 60)}`);
  }
  const bytes = r['bytes'];
  const hash = r['sha256'];
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) return corrupt('"bytes" must be a non-negative integer');
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return corrupt('"sha256" must be 64 hex digits');
  return E.right({ step, file: path.join(path.dirname(sidecar), file), sidecar, bytes, sha256: hash });
}

export type LoadCheckpointOptions = Readonly<{
  dir: string;
  /** Which step (default: the newest). */
  step?: number;
  /** The tree the current config builds: a checkpoint of another structure or shapes is refused. */
  like?: unknown;
}>;

/** Reads, verifies and decodes a checkpoint (the newest unless `step` is given). */
export async function loadCheckpoint(opts: LoadCheckpointOptions): Promise<E.Either<PureganError, Checkpoint>> {
  try {
    checkOptions('loadCheckpoint', opts, { dir: true, step: true, like: true });
  } catch (e) {
    return E.left(e as ValueError);
  }
  const steps = await listCheckpointSteps(opts.dir);
  if (E.isLeft(steps)) return steps;
  const step = opts.step ?? steps.right[steps.right.length - 1];
  if (step === undefined) return E.left(new IoError(`no checkpoint in ${opts.dir}`));
  if (!steps.right.includes(step)) {
    return E.left(new IoError(`no checkpoint of step ${step} in ${opts.dir} (it has ${steps.right.length > 0 ? `steps ${steps.right.join(', ')}` : 'none'})`));
  }
  const info = await readSidecar(path.join(opts.dir, `step-${pad(step)}.json`), step);
  if (E.isLeft(info)) return info;
  const { file } = info.right;
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    return E.left(new IoError(`cannot read checkpoint ${file}: ${(e as Error).message}`));
  }
  if (bytes.length !== info.right.bytes) {
    return E.left(new ParseError(`checkpoint ${file} is ${bytes.length < info.right.bytes ? 'truncated' : 'too long'}: ${bytes.length} bytes, expected ${info.right.bytes}`));
  }
  if (sha256(bytes) !== info.right.sha256) return E.left(new ParseError(`checkpoint ${file} is corrupt: its sha256 does not match ${path.basename(info.right.sidecar)}`));
  const decoded = decodePytree(bytes);
  if (E.isLeft(decoded)) return E.left(new ParseError(`checkpoint ${file}: ${decoded.left.message}`));
  if (opts.like !== undefined) {
    const diffs = treeDifferences(opts.like, decoded.right.tree);
    if (diffs.length > 0) {
      const shown = diffs.slice(0, 8).join('; ');
      const more = diffs.length > 8 ? `; and ${diffs.length - 8} more` : '';
      return E.left(new ValueError(`checkpoint ${file} does not match this configuration: ${shown}${more}`));
    }
  }
  return E.right({ step, tree: decoded.right.tree, metadata: decoded.right.metadata, info: info.right });
}


/** The subdirectory of a checkpoint directory that holds its best checkpoint (by a metric). */
export const BEST_CHECKPOINT_DIR = 'best';

/** Where the best checkpoint of checkpoint directory `dir` lives (`<dir>/best`). */
export const bestCheckpointDir = (dir: string): string => path.join(dir, BEST_CHECKPOINT_DIR);

export type SaveBestCheckpointOptions = Omit<SaveCheckpointOptions, 'keep'> & Readonly<{ metric: Readonly<{ name: string; value: number }> }>;

/**
 * Saves `tree` as the best checkpoint of `dir` (in `<dir>/best`, keeping only it), with the
 * metric that made it the best in its metadata (`best.metric`, `best.value`). The caller
 * decides what "best" means (the lowest FD for the train command); the write is the same
 * crash-safe `saveCheckpoint`, so at every instant `<dir>/best` holds the old best or the new
 * one, and the checkpoints of `dir` itself (the latest) are untouched.
 */
export function saveBestCheckpoint(opts: SaveBestCheckpointOptions): Promise<E.Either<PureganError, CheckpointInfo>> {
  const { metric, dir, ...rest } = opts;
  if (typeof metric?.name !== 'string' || !Number.isFinite(metric.value)) {
    return Promise.resolve(E.left(new ValueError(`the best checkpoint needs a metric { name, value } with a finite value, got ${JSON.stringify(metric)}`)));
  }
  return saveCheckpoint({ ...rest, dir: bestCheckpointDir(dir), keep: 1, metadata: { ...(rest.metadata ?? {}), 'best.metric': metric.name, 'best.value': String(metric.value) } });
}
