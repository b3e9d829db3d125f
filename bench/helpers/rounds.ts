/**
 * Interleaved rounds for a shared, noisy machine: each round runs every task for a few
 * iterations (tinybench, no warm-up: warm the tasks up before), reversing the order on odd
 * rounds, so tasks compared with each other ran minutes — not phases — apart. Ratios are taken
 * per round (A's median over B's median in the same round) and then their median over rounds.
 *
 * Besides wall-clock samples, each task's CPU time per call is recorded per round (the
 * process's user + system time over its iterations, all threads): on a machine with more
 * runnable threads than cores, wall time measures the scheduler as much as the code, while
 * the CPU time of a one-thread task stays close to its time on an idle core.
 *
 * With node's --expose-gc, a full GC runs before each task's iterations (untimed), so a task
 * does not pay for the garbage of the one before it.
 */
import { Bench } from 'tinybench';
import { median } from './peak.js';

export type RoundTask = Readonly<{
  name: string;
  /** Timed calls per round. */
  iterations: number;
  /** An in-process call (timed by tinybench) … */
  fn?: () => unknown;
  /** … or a run outside that times itself and returns its wall and CPU ms per call (a peer in another process). */
  external?: () => Readonly<{ samples: number[]; cpuMs: number }>;
}>;

/** Samples (wall ms) of every task, by round. */
export type RoundSamples = ReadonlyMap<string, readonly (readonly number[])[]>;

/** CPU ms per call of every task, one value per round. */
export type RoundCpu = ReadonlyMap<string, readonly number[]>;

const gc = (globalThis as { gc?: () => void }).gc;

const cpuMsNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function interleavedRounds(
  tasks: readonly RoundTask[],
  rounds: number,
  onRound?: (round: number) => void,
): Promise<Readonly<{ wall: RoundSamples; cpu: RoundCpu }>> {
  const out = new Map<string, number[][]>(tasks.map((t) => [t.name, []]));
  const cpu = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? tasks : [...tasks].reverse();
    for (const t of order) {
      gc?.();
      let samples: number[];
      if (t.external !== undefined) {
        const r = t.external();
        samples = r.samples;
        cpu.get(t.name)!.push(r.cpuMs);
      } else {
        // Building a Bench and adding a task cost milliseconds of CPU (tinybench calls the task
        // once in add(), to see whether it returns a promise), so the clock starts after both.
        const bench = new Bench({ time: 0, iterations: t.iterations, warmup: false, retainSamples: true, throws: true });
        bench.add(t.name, t.fn!);
        const c0 = cpuMsNow();
        await bench.run();
        const res = bench.tasks[0]!.result;
        if (res.state !== 'completed') throw new Error(`benchmark task ${t.name} did not complete (${res.state})`);
        samples = [...(res.latency.samples ?? [])];
        cpu.get(t.name)!.push((cpuMsNow() - c0) / t.iterations);
      }
      out.get(t.name)!.push(samples);
    }
    onRound?.(r);
  }
  return { wall: out, cpu };
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

/** The median over rounds of a task's CPU ms per call. */
export function cpuMedianOf(cpu: RoundCpu, name: string): number {
  const s = cpu.get(name);
  if (s === undefined) throw new Error(`no CPU samples for ${name}`);
  return median(s);
}

/** median over rounds r of A's CPU ms per call / B's in r. */
export function cpuRoundRatio(cpu: RoundCpu, a: string, b: string): number {
  const sa = cpu.get(a), sb = cpu.get(b);
  if (sa === undefined || sb === undefined) throw new Error(`no CPU samples for ${sa === undefined ? a : b}`);
  return median(sa.map((x, r) => x / sb[r]!));
}
