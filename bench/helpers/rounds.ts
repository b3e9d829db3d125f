/**
 * Interleaved rounds for a shared, noisy machine: each round runs every task for a few
 * iterations (tinybench, no warm-up: warm the tasks up before), reversing the order on odd
 * rounds, so tasks compared with each other ran minutes — not phases — apart. Ratios are taken
 * per round (A's median over B's median in the same round) and then their median over rounds.
 */
import { Bench } from 'tinybench';
import { median } from './peak.js';

export type RoundTask = Readonly<{
  name: string;
  /** Timed calls per round. */
  iterations: number;
  /** An in-process call (timed by tinybench) … */
  fn?: () => unknown;
  /** … or a run outside that times itself and returns its ms samples (a peer in another process). */
  external?: () => number[];
}>;

/** Samples (ms) of every task, by round. */
export type RoundSamples = ReadonlyMap<string, readonly (readonly number[])[]>;

export async function interleavedRounds(tasks: readonly RoundTask[], rounds: number, onRound?: (round: number) => void): Promise<RoundSamples> {
  const out = new Map<string, number[][]>(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? tasks : [...tasks].reverse();
    for (const t of order) {
      let samples: number[];
      if (t.external !== undefined) {
        samples = t.external();
      } else {
        const bench = new Bench({ time: 0, iterations: t.iterations, warmup: false, retainSamples: true, throws: true });
        bench.add(t.name, t.fn!);
        await bench.run();
        const res = bench.tasks[0]!.result;
        if (res.state !== 'completed') throw new Error(`benchmark task ${t.name} did not complete (${res.state})`);
        samples = [...(res.latency.samples ?? [])];
      }
      out.get(t.name)!.push(samples);
    }
    onRound?.(r);
  }
  return out;
}

/** The median over all rounds' samples of a task. */
export function medianOf(samples: RoundSamples, name: string): number {
  const s = samples.get(name);
  if (s === undefined) throw new Error(`no samples for ${name}`);
  return median(s.flat());
}

/** median over rounds r of (median of A in r) / (median of B in r). */
export function roundRatio(samples: RoundSamples, a: string, b: string): number {
  const sa = samples.get(a), sb = samples.get(b);
  if (sa === undefined || sb === undefined) throw new Error(`no samples for ${sa === undefined ? a : b}`);
  return median(sa.map((x, r) => median(x) / median(sb[r]!)));
}
