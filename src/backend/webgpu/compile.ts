import { DeviceTensorError, ShapeError } from '../../core/errors.js';
import { deviceRefOf, deviceTensor, type DeviceOwner } from '../../core/device_tensor.js';
import { shapesEqual, type Tensor } from '../../core/tensor.js';
import type { CompiledGraph, Graph } from '../graph.js';
import type { Channel } from './channel.js';
import type { ProgramSpec, RunInput } from './protocol.js';

/**
 * `Backend.compile` of the WebGPU backend: the whole traced graph becomes one program on the
 * device (program.ts: every equation one or more dispatches, intermediates in device buffers).
 * A run returns device tensors (the README's "How a traced step maps to dispatches"): the run
 * is posted to the worker without waiting, its outputs go into device buffers under fresh
 * handles, and nothing is read back. Inputs that are device tensors of this backend are copied
 * on the device; host tensors are uploaded.
 */
export type CompileDeps = Readonly<{ channel: Channel; owner: DeviceOwner; programId: () => number; handleId: () => number }>;

/** Frees a compiled graph's device program when the compiled graph is garbage-collected. */
const finalizer = new FinalizationRegistry<() => void>((free) => free());

export function compileForDevice(graph: Graph, deps: CompileDeps): CompiledGraph {
  const { channel, owner } = deps;
  const id = deps.programId();
  const spec: ProgramSpec = { ...graph, consts: graph.consts.map((c) => ({ id: c.id, data: c.value.data })) };
  const built = channel.call({ kind: 'build', program: id, spec });
  if (built.kind !== 'built') throw new Error(`internal error: build answered ${built.kind}`);
  const input = (x: Tensor, i: number): RunInput => {
    const want = graph.vars[graph.inputs[i]!]!.shape;
    if (!shapesEqual(x.shape, want)) throw new ShapeError(`graph input ${i} has the wrong shape`, { expected: want, got: x.shape });
    const ref = deviceRefOf(x);
    if (ref === undefined) return x.data;
    if (ref.owner !== owner) throw new DeviceTensorError(`graph input ${i} is on another device (${ref.owner.name}): materialize it first`);
    if (ref.disposed) throw new DeviceTensorError(`graph input ${i} was disposed`);
    return { handle: ref.handle };
  };
  const run = (inputs: readonly Tensor[]): Tensor[] => {
    if (inputs.length !== graph.inputs.length) throw new ShapeError(`the graph takes ${graph.inputs.length} inputs, got ${inputs.length}`);
    const sent = inputs.map(input);
    const handles = graph.outputs.map(() => deps.handleId());
    channel.submit({ kind: 'run', program: id, inputs: sent, outputs: { handles } });
    return graph.outputs.map((v, k) => deviceTensor(graph.vars[v]!.shape, owner, handles[k]!));
  };
  const compiled: CompiledGraph = {
    run,
    // Nothing is read back or allocated on the host per run: outputs are device tensors.
    profile: { passes: built.info.dispatches, freshBytes: 0, residentBytes: built.info.residentBytes, fusedEqns: 0, groups: 0 },
  };
  finalizer.register(compiled, () => {
    try {
      channel.post({ kind: 'free', program: id });
    } catch {
      // The backend was closed or broke: its programs went with the device.
    }
  });
  return compiled;
}
