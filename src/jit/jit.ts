import { treePaths, treeUnflatten, type Leaf } from '../core/pytree.js';
import { isDeviceTensor, materializeSync } from '../core/device_tensor.js';
import type { Tensor } from '../core/tensor.js';
import type { Backend } from '../backend/backend.js';
import { currentBackend } from '../backend/current.js';
import type { CompiledGraph, Graph, RunProfile } from '../backend/graph.js';
import { isTracer } from '../ops/dispatch.js';
import { evaluateEqn, opByOp, runOpByOp } from './execute.js';
import { describeChange, signatureOf, type Signature } from './signature.js';
import { traceFunction, type Traced } from './trace.js';

/**
 * `jit(f)`: traces `f` once per input signature into a graph of primitives and runs the cached
 * graph on later calls — compiled by the current backend where it has `compile`, op by op
 * otherwise. The README's "jit" section has the design (cache keys, constants, composition).
 */

export type JitOptions = Readonly<{
  /** The name used in messages (default: the function's name). */
  name?: string;
  /**
   * Debug messages, one per trace (saying why a call retraced): `true` prints them with
   * console.debug, a function receives them. Default: on when PUREGAN_JIT_DEBUG is set.
   */
  debug?: boolean | ((message: string) => void);
  /**
   * The most signatures kept (default 64): a call with a new signature beyond it evicts the
   * least recently used one, with its compiled graphs, so a function called with ever new
   * shapes (a data loader's last batches, growing sequences) does not hold every graph it
   * ever traced. An evicted signature traces again when it comes back.
   */
  maxCached?: number;
}>;

/** `JitOptions.maxCached`'s default. */
export const DEFAULT_MAX_CACHED = 64;

export type JitStats = Readonly<{
  /** Calls of the jitted function. */
  calls: number;
  /** Times `f` ran under the tracer (one per distinct signature). */
  traces: number;
  /** Signatures cached. */
  cached: number;
  /** Signatures dropped from the cache to keep it within `maxCached`. */
  evicted: number;
}>;

/** A jitted function: `f` itself, plus inspection. */
export type Jitted<F extends (...args: never[]) => unknown> = F & {
  readonly stats: () => JitStats;
  /** The graph of `f` for these arguments' signature (traced if not cached yet). */
  readonly lower: (...args: Parameters<F>) => Graph;
  /** Passes, allocation and fusion of one run on the current backend for these arguments. */
  readonly profile: (...args: Parameters<F>) => RunProfile;
};

type Entry = {
  readonly traced: Traced;
  readonly compiled: WeakMap<Backend, CompiledGraph>;
};

function debugSink(opt: JitOptions['debug']): ((message: string) => void) | undefined {
  if (typeof opt === 'function') return opt;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['PUREGAN_JIT_DEBUG'];
  const on = opt ?? (env !== undefined && env !== '' && env !== '0');
  return on ? (m) => console.debug(m) : undefined;
}

const tensorLeaves = (leaves: readonly Leaf[]): Tensor[] => leaves.filter((l): l is Tensor => typeof l !== 'number');

export function jit<F extends (...args: never[]) => unknown>(f: F, opts: JitOptions = {}): Jitted<F> {
  const name = opts.name ?? (f.name || 'anonymous');
  const maxCached = opts.maxCached ?? DEFAULT_MAX_CACHED;
  if (!Number.isSafeInteger(maxCached) || maxCached < 1) throw new RangeError(`jit(${name}): maxCached must be a positive integer, got ${maxCached}`);
  const log = debugSink(opts.debug);
  /** Signature key → entry, least recently used first (a hit moves its entry to the end). */
  const cache = new Map<string, Entry>();
  let last: Signature | undefined;
  let calls = 0;
  let traces = 0;
  let evicted = 0;

  const entryFor = (args: readonly unknown[], sig: Signature): { entry: Entry; fresh: boolean } => {
    const hit = cache.get(sig.key);
    if (hit !== undefined) {
      cache.delete(sig.key);
      cache.set(sig.key, hit);
      return { entry: hit, fresh: false };
    }
    // Tracing is by example: device-resident arguments are read back (once per signature) to trace on.
    const examples = sig.values.some(isDeviceTensor) ? materializeSync(args) : args;
    const traced = traceFunction(f, examples, name, treePaths(args).map((p) => `args${p}`));
    traces++;
    const entry: Entry = { traced, compiled: new WeakMap() };
    cache.set(sig.key, entry);
    if (cache.size > maxCached) {
      cache.delete(cache.keys().next().value as string);
      evicted++;
    }
    if (log !== undefined) {
      const why = last === undefined ? 'first call' : `retracing: ${describeChange(last, sig)}`;
      log(`jit(${name}): traced (${why}): ${traced.graph.eqns.length} equations; ${cache.size} signature(s) cached`);
    }
    return { entry, fresh: true };
  };

  const compiledFor = (entry: Entry, backend: Backend): CompiledGraph => {
    let c = entry.compiled.get(backend);
    if (c === undefined) {
      const g = entry.traced.graph;
      c = backend.compile !== undefined ? backend.compile(g, { evaluate: evaluateEqn }) : opByOp(g);
      entry.compiled.set(backend, c);
    }
    return c;
  };

  const assemble = (t: Traced, outs: readonly Tensor[]): unknown => {
    let k = 0;
    const leaves: Leaf[] = Array.from({ length: outs.length + t.outNumbers.size }, (_, i) => t.outNumbers.get(i) ?? outs[k++]!);
    return treeUnflatten(t.outTree, leaves);
  };

  const call = (...args: unknown[]): unknown => {
    calls++;
    const sig = signatureOf(args);
    const { entry, fresh } = entryFor(args, sig);
    // Only the debug message reads the previous signature; keeping it otherwise would keep the
    // previous call's arguments alive (on a device backend, a whole train state's buffers).
    if (log !== undefined) last = sig;
    const inputs = tensorLeaves(sig.values);
    const t = entry.traced;
    let outs: readonly Tensor[];
    if (inputs.some(isTracer)) {
      // Under an enclosing transform: inline the graph, so that transform records its primitives.
      outs = runOpByOp(t.graph, inputs);
    } else {
      const backend = currentBackend();
      outs = fresh && backend.compile === undefined ? t.tracedOutputs : compiledFor(entry, backend).run(inputs);
    }
    return assemble(t, outs);
  };

  const lower = (...args: unknown[]): Graph => entryFor(args, signatureOf(args)).entry.traced.graph;
  const profile = (...args: unknown[]): RunProfile => compiledFor(entryFor(args, signatureOf(args)).entry, currentBackend()).profile;
  const stats = (): JitStats => ({ calls, traces, cached: cache.size, evicted });
  return Object.assign(call as unknown as F, { stats, lower, profile });
}
