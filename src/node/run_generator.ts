import * as E from 'fp-ts/lib/Either.js';
import { ValueError, type PureganError } from '../core/errors.js';
import { key } from '../core/random.js';
import { treeDifferences } from '../io/tree_diff.js';
import type { RunState } from '../train/loop.js';
import { resolveRunConfig, type ResolvedRun } from '../train/run_config.js';
import { bestCheckpointDir, loadCheckpoint } from './checkpoint.js';
import { readRunConfig, runPaths } from './run_dir.js';

/**
 * A run's generator from its newest checkpoint: the resolved config, the step, and G's params
 * (the EMA copy when the run keeps one, `ema` true) with G's layer state.
 */
export type RunGenerator = Readonly<{ resolved: ResolvedRun; step: number; g: Readonly<{ params: unknown; state: unknown }>; ema: boolean }>;

/** Which checkpoint of a run: the newest (`latest`) or the one with the lowest FD (`best`, kept by `--eval-every`). */
export type WhichCheckpoint = 'latest' | 'best';

/**
 * Reads a run directory's config.json and its newest (or best) checkpoint (verified by its
 * sha256) and checks that the checkpoint's generator (and its EMA params, when kept) has the
 * structure and shapes the config builds. With `ema: false` the live params are returned even
 * when the run keeps an EMA copy.
 */
export async function loadRunGenerator(
  dir: string,
  opts: Readonly<{ which?: WhichCheckpoint; ema?: boolean }> = {},
): Promise<E.Either<PureganError, RunGenerator>> {
  const raw = await readRunConfig(dir);
  if (E.isLeft(raw)) return raw;
  if (raw.right === undefined) return E.left(new ValueError(`${dir} holds no run (no config.json)`));
  const resolved = resolveRunConfig(raw.right);
  if (E.isLeft(resolved)) return E.left(new ValueError(`${runPaths(dir).config}: ${resolved.left.problems.join('; ')}`));
  const which = opts.which ?? 'latest';
  const ck = await loadCheckpoint({ dir: which === 'best' ? bestCheckpointDir(runPaths(dir).checkpoints) : runPaths(dir).checkpoints });
  if (E.isLeft(ck)) {
    if (which === 'best' && ck.left.tag === 'IoError') return E.left(new ValueError(`${dir} has no best checkpoint (a run keeps one when it evaluates: --eval-every K)`));
    return ck;
  }
  const run = ck.right.tree as Partial<RunState> | undefined;
  const g = run?.train?.g;
  const ema = opts.ema !== false && resolved.right.train.techniques.ema !== undefined;
  const params = ema ? run?.train?.ema?.params : g?.params;
  const init = resolved.right.train.generator.init(key(0), [resolved.right.train.gInputDim]);
  const diffs = treeDifferences({ params: init.params, state: init.state }, g === undefined ? undefined : { params, state: g.state });
  if (diffs.length > 0) return E.left(new ValueError(`the checkpoint of step ${ck.right.step} in ${dir} does not hold this config's generator: ${diffs.slice(0, 6).join('; ')}`));
  return E.right({ resolved: resolved.right, step: ck.right.step, g: { params, state: g!.state }, ema });
}
