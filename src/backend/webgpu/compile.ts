import { ShapeError } from '../../core/errors.js';
import { tensor, type Tensor } from '../../core/tensor.js';
import type { CompiledGraph, Graph } from '../graph.js';
import type { Channel } from './channel.js';
import type { ProgramSpec, RunInput } from './protocol.js';

/**
 * `Backend.compile` of the WebGPU backend: the whole traced graph becomes one program on the
 * device (program.ts: every equation one or more dispatches, intermediates in device buffers),
 * run as one command buffer per call.
 *
 * Residency: the host arrays of the last run's outputs are remembered (weakly); an input of
 * the next run that *is* one of them (a training loop feeding the new state back in) is sent as
 * a reference to the device copy, which the worker copies on the device instead of uploading.
 * Every output is still read back, since a Tensor holds host data (the README's WebGPU design).
 */
export type ProgramIds = () => number;

/** Frees a compiled graph's device program when the compiled graph is garbage-collected. */
const finalizer = new FinalizationRegistry<() => void>((free) => free());

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export function compileForDevice(graph: Graph, opts: Readonly<{ channel: Channel; nextId: ProgramIds }>): CompiledGraph {
  const { channel } = opts;
  const id = opts.nextId();
  const spec: ProgramSpec = { ...graph, consts: graph.consts.map((c) => ({ id: c.id, data: c.value.data })) };
  const built = channel.call({ kind: 'build', program: id, spec });
  if (built.kind !== 'built') throw new Error(`internal error: build answered ${built.kind}`);
  const produced = new WeakMap<Float32Array, Readonly<{ run: number; output: number }>>();
  let runs = 0;
  const run = (inputs: readonly Tensor[]): Tensor[] => {
    if (inputs.length !== graph.inputs.length) throw new ShapeError(`the graph takes ${graph.inputs.length} inputs, got ${inputs.length}`);
    const sent: RunInput[] = inputs.map((x, i) => {
      const want = graph.vars[graph.inputs[i]!]!.shape;
      if (!sameShape(x.shape, want)) throw new ShapeError(`graph input ${i} has the wrong shape`, { expected: want, got: x.shape });
      const p = produced.get(x.data);
      return p !== undefined && p.run === runs - 1 ? { previousOutput: p.output } : x.data;
    });
    const r = channel.call({ kind: 'run', program: id, inputs: sent });
    if (r.kind !== 'ran') throw new Error(`internal error: run answered ${r.kind}`);
    const ran = runs++;
    r.outputs.forEach((data, output) => produced.set(data, { run: ran, output }));
    return graph.outputs.map((v, k) => tensor(graph.vars[v]!.shape, r.outputs[k]!));
  };
  const compiled: CompiledGraph = {
    run,
    profile: { passes: built.info.dispatches, freshBytes: built.info.readBackBytes, residentBytes: built.info.residentBytes, fusedEqns: 0, groups: 0 },
  };
  finalizer.register(compiled, () => {
    try {
      channel.call({ kind: 'free', program: id });
    } catch {
      // The backend was closed or broke: its programs went with the device.
    }
  });
  return compiled;
}
