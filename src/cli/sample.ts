import * as E from 'fp-ts/lib/Either.js';
import * as path from 'node:path';
import { useBackend } from '../backend/current.js';
import { ValueError } from '../core/errors.js';
import { key, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { loadRunGenerator } from '../node/run_generator.js';
import { writeSampleImage } from '../node/run_dir.js';
import { generatorInputs, interpolationInputs, traversalInputs, TRAVERSE_POINTS, TRAVERSE_RANGE } from '../train/latent_codes.js';
import type { ResolvedRun } from '../train/run_config.js';
import { cyclicLabels, generate } from '../train/sampling.js';
import { BACKEND_FLAGS, checkBackendFlags, loadBackendFromFlags } from './backend_flags.js';
import { defineCommand } from './command.js';
import { checkRunFlag, RUN_FLAG } from './run_flags.js';

/** `--class` as given: one class id, or `all` (one row per class). */
type ClassChoice = number | 'all';

const parseClass = (s: string): ClassChoice | undefined => (s === 'all' ? 'all' : /^(0|[1-9][0-9]{0,5})$/.test(s) ? Number(s) : undefined);

const notConditional = (run: string): ValueError => new ValueError(`--class: the run in ${run} is not class-conditional (its config has no conditioning)`);

/**
 * The class ids `[N]` of a conditional run's samples: all `choice` for one class, or for `all`
 * row c (of `perRow` samples) class c. Refuses `--class` for an unconditional run and a class
 * outside [0, classes).
 */
function sampleLabels(choice: ClassChoice, o: Readonly<{ classes: number | undefined; n: number; perRow: number; run: string }>): Tensor {
  if (o.classes === undefined) throw notConditional(o.run);
  if (choice === 'all') return tensor([o.classes * o.perRow], Float32Array.from({ length: o.classes * o.perRow }, (_, i) => Math.floor(i / o.perRow)));
  if (choice >= o.classes) throw new ValueError(`--class: expected a class in [0, ${o.classes}) or all, got ${choice}`);
  return tensor([o.n], new Float32Array(o.n).fill(choice));
}

/** What a grid is drawn from: G's inputs `[N, width]`, class ids `[N]` for a conditional run, and the grid's columns (default: square). */
type GridInputs = Readonly<{ z: Tensor; labels?: Tensor; columns?: number }>;

/** What the grid builders read of the flags and the run. */
type GridRequest = Readonly<{
  resolved: ResolvedRun;
  key: Key;
  n: number | undefined;
  choice: ClassChoice | undefined;
  interpolate: number | undefined;
  run: string;
}>;

/**
 * `--traverse CODE`: `n` rows (default 8) of `traversalInputs`; on a conditional run row r is of
 * class r mod classes, or all of class K with `--class K`.
 */
function traversalGrid(code: string, o: GridRequest): GridInputs {
  const infogan = o.resolved.train.techniques.infogan;
  if (infogan === undefined) throw new ValueError(`--traverse: the run in ${o.run} has no InfoGAN codes (its config has no infogan)`);
  const classes = o.resolved.run.conditioning?.classes;
  const rows = o.n ?? 8;
  const { z, columns } = traversalInputs({ latent: o.resolved.run.latent, infogan, key: o.key, rows, code });
  if (classes === undefined) {
    if (o.choice !== undefined) throw notConditional(o.run);
    return { z, columns };
  }
  const labels =
    o.choice !== undefined
      ? sampleLabels(o.choice, { classes, n: rows * columns, perRow: columns, run: o.run })
      : tensor([rows * columns], Float32Array.from({ length: rows * columns }, (_, i) => Math.floor(i / columns) % classes));
  return { z, labels, columns };
}

/**
 * Random samples (`n`, default 64; `n` per class with `--class all`) or `--interpolate` walks,
 * InfoGAN's codes drawn with them; a conditional run's labels from `--class`, else cycling
 * through the classes.
 */
function randomGrid(o: GridRequest): GridInputs {
  const latent = o.resolved.run.latent;
  const infogan = o.resolved.train.techniques.infogan;
  const classes = o.resolved.run.conditioning?.classes;
  const perRow = o.n ?? 8;
  const n = o.choice === 'all' && classes !== undefined ? classes * perRow : (o.n ?? 64);
  const z =
    o.interpolate === undefined
      ? generatorInputs({ latent, infogan, key: o.key, n })
      : interpolationInputs({ latent, infogan, key: o.key, walks: Math.max(1, Math.floor(n / 8)), steps: o.interpolate });
  const rows = z.shape[0]!;
  const labels = o.choice !== undefined ? sampleLabels(o.choice, { classes, n: rows, perRow, run: o.run }) : classes !== undefined ? cyclicLabels(rows, classes) : undefined;
  const columns = o.interpolate ?? (o.choice === 'all' ? perRow : undefined);
  return { z, ...(labels ? { labels } : {}), ...(columns !== undefined ? { columns } : {}) };
}

/**
 * `puregan sample --run DIR [--n 64] [--seed S] [--out grid.png] [--interpolate STEPS]
 * [--class K|all] [--traverse CODE]`: a PNG grid from the run's newest generator (the EMA copy
 * where kept; a scatter plot for 2-D data); for a class-conditional run, samples of class K, or
 * one row of `--n` (default 8) per class (without `--class`, the classes in turn, as the
 * training grids); for an InfoGAN run, `--traverse CODE` gives `--n` rows (default 8), each one
 * draw of the other latents with CODE varied along it (`traversalInputs`).
 */
export const sampleCommand = defineCommand({
  name: 'sample',
  summary: "a PNG grid of samples from a run's newest (or best) generator",
  args: [],
  flags: {
    ...RUN_FLAG,
    n: { type: 'integer', value: 'N', min: 1, max: 4096, help: 'samples (default 64); walks with --interpolate; per row with --class all, rows with --traverse (default 8)' },
    seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'seed of the latents (default 0)' },
    out: { type: 'string', value: 'FILE.png', help: 'where to write the grid (default <run>/sample.png)' },
    interpolate: { type: 'integer', value: 'STEPS', min: 2, max: 64, help: 'spherical interpolation between random latents, STEPS per walk, one walk per row (n/8 walks, at least 1)' },
    which: { type: 'string', value: 'best|latest', help: 'the checkpoint: latest (default) or best (lowest FD, kept by --eval-every)' },
    class: { type: 'string', value: 'K|all', help: 'class-conditional runs: samples of class K, or one row per class with all (--n per row, default 8)' },
    traverse: {
      type: 'string',
      value: 'CODE',
      help: `InfoGAN runs: vary one latent code along each row, the rest fixed per row: cat<i> through its values, cont<j> over ${TRAVERSE_POINTS} points of [-${TRAVERSE_RANGE}, ${TRAVERSE_RANGE}]`,
    },
    ...BACKEND_FLAGS,
  },
  details: `Exit codes: 0, 1 for a missing or bad run (--class for an unconditional run, --traverse for a run without InfoGAN codes or an unknown code), 2 for bad arguments.`,
  check: ({ flags }) => [
    ...checkBackendFlags(flags),
    ...checkRunFlag(flags),
    ...(flags.which !== undefined && flags.which !== 'best' && flags.which !== 'latest' ? [`--which: expected best or latest, got ${JSON.stringify(flags.which)}`] : []),
    ...(flags.class !== undefined && parseClass(flags.class) === undefined ? [`--class: expected a class id (an integer >= 0) or all, got ${JSON.stringify(flags.class)}`] : []),
    ...(flags.class === 'all' && flags.interpolate !== undefined ? ['--class all and --interpolate both choose the rows: give one of them'] : []),
    ...(flags.traverse !== undefined && flags.interpolate !== undefined ? ['--traverse and --interpolate both choose the columns: give one of them'] : []),
    ...(flags.traverse !== undefined && flags.class === 'all' ? ['--traverse and --class all both choose the rows: give --class K or no --class'] : []),
  ],
  async run({ flags }) {
    const backend = await loadBackendFromFlags(flags);
    if (E.isLeft(backend)) throw backend.left;
    useBackend(backend.right);
    try {
      const loaded = await loadRunGenerator(flags.run!, { which: flags.which === 'best' ? 'best' : 'latest' });
      if (E.isLeft(loaded)) throw loaded.left;
      const { resolved, g, step } = loaded.right;
      const request: GridRequest = {
        resolved,
        key: key(flags.seed ?? 0),
        n: flags.n,
        choice: flags.class === undefined ? undefined : parseClass(flags.class)!,
        interpolate: flags.interpolate,
        run: flags.run!,
      };
      const { z, labels, columns } = flags.traverse === undefined ? randomGrid(request) : traversalGrid(flags.traverse, request);
      const out = flags.out ?? path.join(flags.run!, 'sample.png');
      const x = generate(resolved.train.generator, g, z, labels);
      const r = await writeSampleImage(out, x, columns === undefined ? {} : { columns });
      if (E.isLeft(r)) throw r.left;
      console.log(`${out}: ${z.shape[0]} samples from step ${step}`);
      return 0;
    } finally {
      await backend.right.close?.();
    }
  },
});
