import { sizeOf } from '../../core/tensor.js';
import type { VarId } from '../graph.js';
import { fusionRule } from './fusible.js';
import { accessOf, type Access, type Group } from './plan.js';

/**
 * A fused group as one monomorphic JavaScript loop (generated with `new Function`): each
 * external operand is loaded once per element, every operation's result is rounded to float32
 * and kept in a local, and only the materialised values are stored — after all loads of the
 * element, so an output may share the buffer of a full-size operand (in-place epilogues).
 * A `sum` node accumulates into float64 in the loop's (flat, increasing) order, which is the
 * order of the evaluation rule's reduction, and is stored after the loop.
 */

export type GroupLayout = Readonly<{
  /** External operands in the loop's argument order, with how each is read. */
  inputs: ReadonlyArray<Readonly<{ v: VarId; access: Access }>>;
  /** Materialised values, in the loop's output order. */
  outputs: readonly VarId[];
  size: number;
}>;

export type GroupKernel = (ins: readonly Float32Array[], outs: readonly Float32Array[], n: number) => void;

/** The external operands and materialised outputs of a group. */
export function layoutOf(group: Group, materialised: ReadonlySet<VarId>): GroupLayout {
  const members = new Set(group.nodes.map((n) => n.out));
  const inputs: { v: VarId; access: Access }[] = [];
  const key = (v: VarId, a: Access): string => `${v}:${a.kind === 'blocked' ? `${a.inner}/${a.mid}` : a.kind}`;
  const seen = new Set<string>();
  for (const n of group.nodes) {
    for (const a of n.args) {
      if (members.has(a.v)) continue;
      const access = accessOf(a.shape, group.shape)!;
      if (seen.has(key(a.v, access))) continue;
      seen.add(key(a.v, access));
      inputs.push({ v: a.v, access });
    }
  }
  return { inputs, outputs: group.nodes.map((n) => n.out).filter((v) => materialised.has(v)), size: sizeOf(group.shape) };
}

/** The loop's source text (exported for tests and debugging). */
export function groupSource(group: Group, layout: GroupLayout): string {
  const lines: string[] = [];
  const loads: string[] = [];
  const steps: string[] = [];
  const operand = new Map<string, string>();
  layout.inputs.forEach(({ v, access }, k) => {
    lines.push(`const in${k} = ins[${k}];`);
    if (access.kind === 'scalar') lines.push(`const x${k} = in${k}[0];`);
    else if (access.kind === 'full') loads.push(`const x${k} = in${k}[i];`);
    else {
      lines.push(`let j${k} = 0;`);
      if (access.inner > 1) lines.push(`let c${k} = 0;`);
      loads.push(`const x${k} = in${k}[j${k}];`);
      steps.push(
        access.inner > 1
          ? `if (++c${k} === ${access.inner}) { c${k} = 0; if (++j${k} === ${access.mid}) j${k} = 0; }`
          : `if (++j${k} === ${access.mid}) j${k} = 0;`,
      );
    }
    operand.set(`${v}:${JSON.stringify(access)}`, `x${k}`);
  });
  layout.outputs.forEach((_, k) => lines.push(`const out${k} = outs[${k}];`));
  const local = new Map<VarId, string>();
  const body: string[] = [];
  const after: string[] = [];
  const sums = new Map<VarId, string>();
  group.nodes.forEach((n, m) => {
    const args = n.args.map((a) => local.get(a.v) ?? operand.get(`${a.v}:${JSON.stringify(accessOf(a.shape, group.shape))}`)!);
    if (n.prim === 'sum') {
      const { axes } = n.params as { axes: readonly number[] };
      const access = accessOf(group.shape.map((d, i) => (axes.includes(i) ? 1 : d)), group.shape)!;
      const size = access.kind === 'blocked' ? access.mid : 1;
      lines.push(`const acc${m} = new Float64Array(${size});`);
      if (access.kind === 'blocked') {
        lines.push(`let r${m} = 0;`);
        if (access.inner > 1) lines.push(`let q${m} = 0;`);
        body.push(`acc${m}[r${m}] += ${args[0]};`);
        steps.push(
          access.inner > 1
            ? `if (++q${m} === ${access.inner}) { q${m} = 0; if (++r${m} === ${access.mid}) r${m} = 0; }`
            : `if (++r${m} === ${access.mid}) r${m} = 0;`,
        );
      } else body.push(`acc${m}[0] += ${args[0]};`);
      sums.set(n.out, `acc${m}`);
      return;
    }
    const rule = fusionRule(n.prim)!;
    body.push(`const t${m} = Math.fround(${rule.expr(args, n.params as never)});`);
    local.set(n.out, `t${m}`);
  });
  const stores: string[] = [];
  layout.outputs.forEach((v, k) => {
    const acc = sums.get(v);
    if (acc === undefined) stores.push(`out${k}[i] = ${local.get(v)};`);
    else after.push(`out${k}.set(${acc});`);
  });
  lines.push('for (let i = 0; i < n; i++) {', ...[...loads, ...body, ...stores, ...steps].map((l) => `  ${l}`), '}', ...after);
  return lines.join('\n');
}

const compiled = new Map<string, GroupKernel>();
let codegenWorks: boolean | undefined;

/** Whether `new Function` is allowed here (a Content-Security-Policy without 'unsafe-eval' forbids it). */
export function codegenAvailable(): boolean {
  if (codegenWorks === undefined) {
    try {
      codegenWorks = new Function('return 1')() === 1;
    } catch {
      codegenWorks = false;
    }
  }
  return codegenWorks;
}

/** The generated loop of a group (shared between groups with the same source). */
export function groupKernel(group: Group, layout: GroupLayout): GroupKernel {
  const src = groupSource(group, layout);
  let k = compiled.get(src);
  if (k === undefined) {
    k = new Function('ins', 'outs', 'n', `'use strict';\n${src}`) as GroupKernel;
    compiled.set(src, k);
  }
  return k;
}
