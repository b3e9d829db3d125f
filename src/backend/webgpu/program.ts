import type { VarId } from '../graph.js';
import type { BufferStore } from './buffers.js';
import { MAP_READ } from './device.js';
import { WebGPUError } from './errors.js';
import { lowerEqn, type Dispatch } from './lower.js';
import type { PipelineCache } from './pipelines.js';
import type { BuildInfo, ProgramSpec, RunInput } from './protocol.js';

/**
 * A graph on the device (runs in the worker). Built once: every equation lowered
 * (`lower.ts`), every buffer allocated — one per input, constant (uploaded here) and computed
 * value, two sets of output buffers, one staging buffer and one buffer of every dispatch's
 * params words (each dispatch's at an offset aligned as the device requires) — and every
 * pipeline and bind group made. A run is one command buffer: upload the host inputs (or copy the previous run's
 * outputs into the input buffers, on the device), all dispatches in one compute pass, copy
 * the outputs into this run's output set and the staging buffer, and read that back with one
 * `mapAsync`. The output sets alternate, so the previous run's outputs stay valid as inputs.
 */
export type Program = Readonly<{
  run(inputs: readonly RunInput[]): Promise<Float32Array[]>;
  destroy(): void;
  info: BuildInfo;
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
    const outSets: GPUBuffer[][] = [];
    for (const set of [0, 1]) {
      const bs: GPUBuffer[] = [];
      for (const [k, v] of spec.outputs.entries()) bs.push(await alloc(outBytes[k]!, `output ${k} (set ${set}) of var ${v}`));
      outSets.push(bs);
    }
    const offsets: number[] = [];
    const readBackBytes = outBytes.reduce((acc, b) => (offsets.push(acc), acc + b), 0);
    const staging = await alloc(readBackBytes, 'read-back staging', true);
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
    let last = -1;
    let runs = 0;
    const run = async (inputs: readonly RunInput[]): Promise<Float32Array[]> => {
      if (inputs.length !== spec.inputs.length) throw new WebGPUError('validation', 'program run', `takes ${spec.inputs.length} inputs, got ${inputs.length}`);
      const set = runs % 2;
      const enc = device.createCommandEncoder();
      inputs.forEach((x, i) => {
        const v = spec.inputs[i]!;
        const dst = store.get(v)!;
        if (x instanceof Float32Array) {
          if (x.length !== sizeOf(shapes[v]!)) throw new WebGPUError('validation', 'program run', `input ${i} has ${x.length} elements, expected ${sizeOf(shapes[v]!)}`);
          if (x.length > 0) device.queue.writeBuffer(dst, 0, x);
        } else {
          if (last < 0) throw new WebGPUError('validation', 'program run', 'an input refers to a previous run, but the program has not run');
          const src = outSets[last % 2]![x.previousOutput]!;
          if (bytesOf(v) > 0) enc.copyBufferToBuffer(src, 0, dst, 0, bytesOf(v));
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
      spec.outputs.forEach((v, k) => {
        const bytes = outBytes[k]!;
        if (bytes === 0) return;
        enc.copyBufferToBuffer(bufferOf(v), 0, outSets[set]![k]!, 0, bytes);
        enc.copyBufferToBuffer(outSets[set]![k]!, 0, staging, offsets[k]!, bytes);
      });
      device.queue.submit([enc.finish()]);
      const invalidRun = await device.popErrorScope();
      if (invalidRun !== null) throw new WebGPUError('validation', dispatches[0]?.name ?? 'program run', invalidRun.message);
      await staging.mapAsync(MAP_READ);
      const all = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      last = runs++;
      return spec.outputs.map((_, k) => all.slice(offsets[k]! / 4, (offsets[k]! + outBytes[k]!) / 4));
    };
    const residentBytes = owned.reduce((acc, b) => acc + b.size, 0);
    return { run, destroy, info: { dispatches: dispatches.length, residentBytes, readBackBytes } };
  } catch (e) {
    destroy();
    throw e;
  }
}
