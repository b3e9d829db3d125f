import type { VarId } from '../graph.js';
import type { BufferStore } from './buffers.js';
import { MAP_READ } from './device.js';
import { WebGPUError } from './errors.js';
import { lowerEqn, type Dispatch } from './lower.js';
import type { PipelineCache } from './pipelines.js';
import type { BuildInfo, ProgramSpec } from './protocol.js';

/**
 * A graph on the device (runs in the worker). Built once: every equation lowered
 * (`lower.ts`), every buffer allocated — one per input, constant (uploaded here) and computed
 * value, and one buffer of every dispatch's params words (each dispatch's at an offset aligned
 * as the device requires) — and every pipeline and bind group made. A run is one command
 * buffer: the host inputs written (`writeBuffer`) and the device inputs copied into the input
 * buffers on the device, all dispatches in one compute pass, then the outputs copied either
 * into the buffers the caller gives (device tensors, nothing read back) or into a staging
 * buffer read back with one `mapAsync` (`'read'`, the eager kernels; the staging buffer is
 * made on the first such run).
 */
export type Program = Readonly<{
  /** Encodes and submits one run; resolves with the outputs' values when they are read back, else once submitted. */
  run(inputs: readonly (Float32Array | GPUBuffer)[], outputs: readonly GPUBuffer[] | 'read'): Promise<Float32Array[] | undefined>;
  destroy(): void;
  info: BuildInfo;
  /** Elements of each output. */
  outputSizes: readonly number[];
}>;

type Ctx = Readonly<{ device: GPUDevice; buffers: BufferStore; pipelines: PipelineCache }>;

type Encoded = Readonly<{ pipeline: GPUComputePipeline; group: GPUBindGroup; d: Dispatch }>;

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

export async function buildProgram(ctx: Ctx, spec: ProgramSpec): Promise<Program> {
  const { device, buffers, pipelines } = ctx;
  const shapes = spec.vars.map((v) => v.shape);
  const bytesOf = (v: VarId): number => 4 * sizeOf(shapes[v]!);
  const alias = new Map<VarId, VarId>();
  const root = (v: VarId): VarId => {
    const a = alias.get(v);
    return a === undefined ? v : root(a);
  };
  const dispatches: Dispatch[] = [];
  for (const eqn of spec.eqns) {
    const l = lowerEqn(eqn, shapes);
    if (l.kind === 'alias') alias.set(eqn.out, l.of);
    else dispatches.push(...l.dispatches);
  }
  const owned: GPUBuffer[] = [];
  const alloc = async (bytes: number, what: string, staging = false): Promise<GPUBuffer> => {
    const b = staging ? await buffers.staging(bytes, what) : await buffers.storage(bytes, what);
    owned.push(b);
    return b;
  };
  const destroy = (): void => {
    for (const b of owned) buffers.destroy(b);
    owned.length = 0;
  };
  try {
    const store = new Map<VarId, GPUBuffer>();
    for (const v of spec.inputs) if (!store.has(v)) store.set(v, await alloc(bytesOf(v), `input ${v} [${shapes[v]!.join(', ')}]`));
    for (const c of spec.consts) {
      const b = await alloc(bytesOf(c.id), `constant ${c.id}`);
      if (c.data.length > 0) device.queue.writeBuffer(b, 0, c.data);
      store.set(c.id, b);
    }
    for (const d of dispatches) if (!store.has(d.out)) store.set(d.out, await alloc(bytesOf(d.out), d.name));
    const outBytes = spec.outputs.map(bytesOf);
    const offsets: number[] = [];
    const readBackBytes = outBytes.reduce((acc, b) => (offsets.push(acc), acc + b), 0);
    let staging: GPUBuffer | undefined;
    const align = device.limits.minStorageBufferOffsetAlignment;
    const paramsAt: number[] = [];
    const paramsBytes = dispatches.reduce((acc, d) => (paramsAt.push(acc), acc + Math.ceil((4 * d.params.length) / align) * align), 0);
    const params = await alloc(paramsBytes, 'kernel params');
    dispatches.forEach((d, k) => device.queue.writeBuffer(params, paramsAt[k]!, Uint32Array.from(d.params)));
    const bufferOf = (v: VarId): GPUBuffer => {
      const b = store.get(root(v));
      if (b === undefined) throw new WebGPUError('validation', `var ${v}`, 'a value is read before any equation defines it');
      return b;
    };
    device.pushErrorScope('validation');
    const encoded: Encoded[] = [];
    for (const [k, d] of dispatches.entries()) {
      const pipeline = await pipelines.get(d.name, d.wgsl);
      const entries: GPUBindGroupEntry[] = [...d.inputs, d.out].map((v, binding) => ({ binding, resource: { buffer: bufferOf(v) } }));
      entries.push({ binding: entries.length, resource: { buffer: params, offset: paramsAt[k]!, size: 4 * d.params.length } });
      encoded.push({ pipeline, d, group: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: d.name }) });
    }
    const invalid = await device.popErrorScope();
    if (invalid !== null) throw new WebGPUError('validation', 'program build', invalid.message);
    const run = async (inputs: readonly (Float32Array | GPUBuffer)[], outputs: readonly GPUBuffer[] | 'read'): Promise<Float32Array[] | undefined> => {
      if (inputs.length !== spec.inputs.length) throw new WebGPUError('validation', 'program run', `takes ${spec.inputs.length} inputs, got ${inputs.length}`);
      if (outputs !== 'read' && outputs.length !== spec.outputs.length) throw new WebGPUError('validation', 'program run', `gives ${spec.outputs.length} outputs, got ${outputs.length} buffers`);
      const enc = device.createCommandEncoder();
      inputs.forEach((x, i) => {
        const v = spec.inputs[i]!;
        const dst = store.get(v)!;
        if (x instanceof Float32Array) {
          if (x.length !== sizeOf(shapes[v]!)) throw new WebGPUError('validation', 'program run', `input ${i} has ${x.length} elements, expected ${sizeOf(shapes[v]!)}`);
          if (x.length > 0) device.queue.writeBuffer(dst, 0, x);
        } else if (bytesOf(v) > 0) {
          if (x.size < bytesOf(v)) throw new WebGPUError('validation', 'program run', `input ${i} is a device buffer of ${x.size} bytes, expected ${bytesOf(v)}`);
          enc.copyBufferToBuffer(x, 0, dst, 0, bytesOf(v));
        }
      });
      device.pushErrorScope('validation');
      if (encoded.length > 0) {
        const pass = enc.beginComputePass();
        for (const e of encoded) {
          pass.setPipeline(e.pipeline);
          pass.setBindGroup(0, e.group);
          pass.dispatchWorkgroups(...e.d.workgroups);
        }
        pass.end();
      }
      const reading = outputs === 'read';
      if (reading) staging ??= await alloc(readBackBytes, 'read-back staging', true);
      spec.outputs.forEach((v, k) => {
        const bytes = outBytes[k]!;
        if (bytes === 0) return;
        if (reading) enc.copyBufferToBuffer(bufferOf(v), 0, staging!, offsets[k]!, bytes);
        else enc.copyBufferToBuffer(bufferOf(v), 0, outputs[k]!, 0, bytes);
      });
      device.queue.submit([enc.finish()]);
      const invalidRun = await device.popErrorScope();
      if (invalidRun !== null) throw new WebGPUError('validation', dispatches[0]?.name ?? 'program run', invalidRun.message);
      if (!reading) return undefined;
      if (readBackBytes === 0) return spec.outputs.map(() => new Float32Array(0));
      await staging!.mapAsync(MAP_READ);
      const all = new Float32Array(staging!.getMappedRange().slice(0));
      staging!.unmap();
      return spec.outputs.map((_, k) => all.slice(offsets[k]! / 4, (offsets[k]! + outBytes[k]!) / 4));
    };
    const residentBytes = owned.reduce((acc, b) => acc + b.size, 0);
    return { run, destroy, info: { dispatches: dispatches.length, residentBytes, readBackBytes }, outputSizes: spec.outputs.map((v) => sizeOf(shapes[v]!)) };
  } catch (e) {
    destroy();
    throw e;
  }
}
