import * as E from 'fp-ts/lib/Either.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { useBackend } from '../backend/current.js';
import { IoError, UsageError, ValueError } from '../core/errors.js';
import { foldIn, key } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { progressMode, makeProgress } from '../node/progress.js';
import { loadLabelledRunData, loadRunData } from '../node/run_data.js';
import { openRun, readRunConfig, runPaths, writeRunCheckpoint, writeSampleImage } from '../node/run_dir.js';
import { openRunMonitor } from '../node/run_monitor.js';
import { fit, initRunState, type RunState } from '../train/loop.js';
import { PRESETS, PRESET_NAMES } from '../train/presets.js';
import { mergeConfig, resolveRunConfig, type ResolvedRun } from '../train/run_config.js';
import { generatorInputs } from '../train/latent_codes.js';
import { sampleGenerator } from '../train/sample.js';
import { cyclicLabels } from '../train/sampling.js';
import { BACKEND_FLAGS, checkBackendFlags, loadBackendFromFlags } from './backend_flags.js';
import { defineCommand } from './command.js';

const BIG = 1_000_000_000;

const TRAIN_FLAGS = {
  preset: { type: 'string', value: 'NAME', help: `a built-in run: ${PRESET_NAMES.join(', ')} (--list-presets describes them)` },
  config: { type: 'string', value: 'FILE.json', help: 'a JSON object overriding any field of the preset (see config.json of a run)' },
  steps: { type: 'integer', value: 'N', min: 0, max: BIG, help: "the run's total step count (--resume --steps 2N continues a run of N to 2N)" },
  batch: { type: 'integer', value: 'B', min: 1, max: 1_000_000, help: 'batch size' },
  seed: { type: 'integer', value: 'S', min: 0, max: 2 ** 32 - 1, help: 'the run seed (init, data order, latents)' },
  out: { type: 'string', value: 'DIR', help: 'run directory (default runs/<preset>-<date>)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its newest checkpoint' },
  ...BACKEND_FLAGS,
  'eval-every': { type: 'integer', value: 'K', min: 0, max: BIG, help: 'evaluate every K steps (0: never): MNIST FD, score, coverage on 2,000 samples (KID, precision/recall at the end), best checkpoint by FD' },
  'sample-every': { type: 'integer', value: 'K', min: 0, max: BIG, help: 'write samples/step_XXXXXX.png every K steps (0: never)' },
  'checkpoint-every': { type: 'integer', value: 'K', min: 0, max: BIG, help: 'checkpoint every K steps (0: only at the end and on Ctrl-C)' },
  minutes: { type: 'integer', value: 'M', min: 1, max: 100_000, help: 'a wall-clock budget: stop after M minutes (evaluation included), checkpointed and evaluated as at the last step' },
  eager: { type: 'boolean', help: 'run each step op by op instead of traced and compiled by jit (slower; for debugging a step)' },
  quiet: { type: 'boolean', help: 'print nothing while training' },
  'list-presets': { type: 'boolean', help: 'print each preset with one line on what it is' },
} as const;

type TrainFlags = Readonly<{ [K in keyof typeof TRAIN_FLAGS]: (typeof TRAIN_FLAGS)[K] extends { type: 'boolean' } ? boolean : (typeof TRAIN_FLAGS)[K] extends { type: 'integer' } ? number | undefined : string | undefined }>;

const timestamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new IoError(`cannot read --config ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError([`--config ${file} is not valid JSON: ${(e as Error).message}`]);
  }
}

/** The preset (or the resumed run's config), the --config file and the flags, merged and checked. */
async function resolveFromFlags(f: TrainFlags): Promise<ResolvedRun> {
  let base: unknown;
  if (f.preset !== undefined) base = PRESETS[f.preset];
  else {
    const old = await readRunConfig(f.out!);
    if (E.isLeft(old)) throw old.left;
    if (old.right === undefined) throw new ValueError(`cannot resume: ${f.out} holds no run (no config.json)`);
    base = old.right;
  }
  const file = f.config === undefined ? {} : await readJsonFile(f.config);
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new UsageError([`--config ${f.config} must hold a JSON object`]);
  const fromFlags = {
    ...(f.steps !== undefined ? { steps: f.steps } : {}),
    ...(f.batch !== undefined ? { batchSize: f.batch } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    every: {
      ...(f['eval-every'] !== undefined ? { eval: f['eval-every'] } : {}),
      ...(f['sample-every'] !== undefined ? { sample: f['sample-every'] } : {}),
      ...(f['checkpoint-every'] !== undefined ? { checkpoint: f['checkpoint-every'] } : {}),
    },
  };
  const r = resolveRunConfig(mergeConfig(mergeConfig(base, file), fromFlags));
  if (E.isLeft(r)) throw new UsageError(r.left.problems.map((p) => `config ${p}`));
  return r.right;
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a GAN from a preset (and a JSON config), writing a run directory',
  args: [],
  flags: TRAIN_FLAGS,
  details: [
    'Writes <out>/config.json, metrics.jsonl, samples/step_XXXXXX.png, checkpoints/ (checkpoints/best/: the lowest FD),',
    'and the report index.html with curves.svg/png (rebuild it with puregan report --run DIR).',
    'Ctrl-C writes a checkpoint and exits with code 130; --resume continues bit for bit.',
    'Exit codes: 0 done, 1 a run error (non-finite step, unreadable or incompatible files), 2 bad arguments.',
  ].join('\n'),
  check: ({ flags }) => {
    const problems = checkBackendFlags(flags);
    if (flags['list-presets']) return problems;
    if (flags.preset !== undefined && !(flags.preset in PRESETS)) problems.push(`unknown preset "${flags.preset}"; expected one of: ${PRESET_NAMES.join(', ')}`);
    if (flags.preset === undefined && !(flags.resume && flags.out !== undefined)) problems.push('--preset NAME is required (or --resume --out DIR to continue a run)');
    if (flags.resume && flags.out === undefined) problems.push('--resume needs --out DIR (the run to continue)');
    return problems;
  },
  async run({ flags }) {
    if (flags['list-presets']) {
      const width = Math.max(...PRESET_NAMES.map((n) => n.length));
      for (const n of PRESET_NAMES) console.log(`${n.padEnd(width)}  ${PRESETS[n]!.description}`);
      return 0;
    }
    const backend = await loadBackendFromFlags(flags);
    if (E.isLeft(backend)) throw backend.left;
    useBackend(backend.right);
    try {
      const { run: config, train } = await resolveFromFlags(flags);
      const out = flags.out ?? path.join('runs', `${config.preset}-${timestamp()}`);
      const data = config.conditioning === undefined ? E.map((x: Tensor) => ({ x }))(await loadRunData(config.data, config.seed)) : await loadLabelledRunData(config.data);
      if (E.isLeft(data)) throw data.left;
      const x = data.right.x;
      const runKey = key(config.seed);
      const like = initRunState({ config: train, key: runKey, size: x.shape[0]!, batchSize: config.batchSize });
      const opened = await openRun({ dir: out, config, resume: flags.resume, like });
      if (E.isLeft(opened)) throw opened.left;
      const start = opened.right ?? like;
      const paths = runPaths(out);
      const infogan = train.techniques.infogan;
      const zFixed = generatorInputs({ latent: config.latent, infogan, key: foldIn(runKey, 2), n: config.samples });
      const yFixed = config.conditioning === undefined ? undefined : cyclicLabels(config.samples, config.conditioning.classes);
      const progress = makeProgress({ mode: progressMode(flags.quiet, process.stdout.isTTY), start: Number(start.train.step.data[0]), total: config.steps });
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      const t0 = performance.now();
      const monitor = await openRunMonitor({ dir: out, config, train, runKey, note: (line) => progress.note(line) });
      if (E.isLeft(monitor)) throw monitor.left;
      const mon = monitor.right;
      let lastSample: string | undefined;
      const checkpoint = async (run: RunState, step: number): Promise<void> => {
        const r = await writeRunCheckpoint({ dir: out, run, step, config });
        if (E.isLeft(r)) throw r.left;
      };
      const result = await fit({
        config: train,
        data: data.right,
        steps: config.steps,
        batchSize: config.batchSize,
        state: start,
        signal: controller.signal,
        jit: !flags.eager,
        ...(flags.minutes !== undefined ? { maxSeconds: 60 * flags.minutes } : {}),
        every: config.every,
        hooks: {
          async onLog(event) {
            progress.update(event.step, event.metrics);
            await mon.log(event, Number(((performance.now() - t0) / 1000).toFixed(3)));
          },
          async onEval(run, step) {
            await mon.evaluate(run, step, { full: step === config.steps });
            if (!(config.every.sample > 0 && step % config.every.sample === 0)) await mon.report();
          },
          async onSample(run, step) {
            lastSample = paths.sample(step);
            const r = await writeSampleImage(lastSample, sampleGenerator(train, run.train, zFixed, yFixed ? { labels: yFixed } : {}));
            if (E.isLeft(r)) throw r.left;
            await mon.report();
          },
          onCheckpoint: checkpoint,
        },
      }).finally(() => {
        process.removeListener('SIGINT', onSigint);
        progress.stop();
      });
      if (result.stopped === 'non-finite') {
        await mon.close();
        console.error(`puregan train: ${result.message}`);
        return 1;
      }
      if (lastSample === undefined || !lastSample.endsWith(`${String(result.step).padStart(6, '0')}.png`)) {
        lastSample = paths.sample(result.step);
        const r = await writeSampleImage(lastSample, sampleGenerator(train, result.state.train, zFixed, yFixed ? { labels: yFixed } : {}));
        if (E.isLeft(r)) throw r.left;
      }
      if ((result.stopped === 'steps' || result.stopped === 'time') && config.every.eval > 0 && result.step >= config.every.eval && mon.lastEvalStep() !== result.step) await mon.evaluate(result.state, result.step, { full: true });
      await mon.close();
      if (result.stopped === 'aborted') {
        console.log(`interrupted at step ${result.step}: checkpoint written to ${paths.checkpoints}; continue with: puregan train --out ${out} --resume`);
        return 130;
      }
      if (!flags.quiet) {
        console.log(`done: ${result.step} steps${result.stopped === 'time' ? ` (the ${flags.minutes}-minute budget)` : ''} in ${out}`);
        console.log(`  samples: ${lastSample}`);
        console.log(`  metrics: ${paths.metrics}`);
        console.log(`  report:  ${path.join(out, 'index.html')}`);
        const cost = mon.cost();
        const total = (performance.now() - t0) / 1000;
        if (cost.evaluations > 0) console.log(`  evaluation: ${cost.evaluations} in ${cost.evalSeconds.toFixed(1)} s, reports ${cost.reportSeconds.toFixed(1)} s, of ${total.toFixed(1)} s (${((100 * (cost.evalSeconds + cost.reportSeconds)) / total).toFixed(1)}%)`);
      }
      return 0;
    } finally {
      await backend.right.close?.();
    }
  },
});
