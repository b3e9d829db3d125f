import * as E from 'fp-ts/lib/Either.js';
import { ValueError } from '../core/errors.js';
import { bestCheckpointDir, listCheckpointSteps } from '../node/checkpoint.js';
import { readMetricsLog, runPaths } from '../node/run_dir.js';
import { defineCommand } from './command.js';
import { checkRunFlag, RUN_EXIT_CODES, RUN_FLAG } from './run_flags.js';

/** `puregan eval --run DIR [--json]`: the latest logged metrics (and evaluation) of a run. */
export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'the latest metrics of a run (its last metrics.jsonl step and evaluation)',
  args: [],
  flags: {
    ...RUN_FLAG,
    json: { type: 'boolean', help: 'one JSON object { step, metrics, eval? }' },
    which: { type: 'string', value: 'best|latest', help: 'latest (default): the last step; best: the step of the best checkpoint (lowest FD)' },
  },
  details: RUN_EXIT_CODES,
  check: ({ flags }) => [
    ...checkRunFlag(flags),
    ...(flags.which !== undefined && flags.which !== 'best' && flags.which !== 'latest' ? [`--which: expected best or latest, got ${JSON.stringify(flags.which)}`] : []),
  ],
  async run({ flags }) {
    const log = await readMetricsLog(flags.run!);
    if (E.isLeft(log)) throw log.left;
    let upTo = Infinity;
    if (flags.which === 'best') {
      const best = await listCheckpointSteps(bestCheckpointDir(runPaths(flags.run!).checkpoints));
      if (E.isLeft(best)) throw best.left;
      if (best.right.length === 0) throw new ValueError(`${flags.run} has no best checkpoint (a run keeps one when it evaluates: --eval-every K)`);
      upTo = best.right[best.right.length - 1]!;
    }
    const steps = log.right.filter((r) => r.eval === undefined && r.warning === undefined && (r.step as number) <= upTo);
    const evals = log.right.filter((r) => r.eval !== undefined && (r.step as number) <= upTo);
    const last = steps[steps.length - 1];
    if (last === undefined) throw new ValueError(`${flags.run} has logged no step yet`);
    const { step, time: _time, ...metrics } = last;
    const lastEval = evals[evals.length - 1];
    if (flags.json) {
      console.log(JSON.stringify({ step, metrics, ...(lastEval ? { eval: { step: lastEval.step, ...(lastEval.eval as object) } } : {}) }));
      return 0;
    }
    console.log(`step ${String(step)}`);
    for (const [k, v] of Object.entries(metrics)) console.log(`  ${k.padEnd(14)} ${typeof v === 'number' ? v.toPrecision(6) : JSON.stringify(v)}`);
    if (lastEval) {
      console.log(`evaluation at step ${String(lastEval.step)}`);
      for (const [k, v] of Object.entries(lastEval.eval as Record<string, unknown>)) console.log(`  ${k.padEnd(20)} ${typeof v === 'number' ? Number(v.toPrecision(6)) : JSON.stringify(v)}`);
    }
    return 0;
  },
});
