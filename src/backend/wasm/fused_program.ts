import { sizeOf } from '../../core/tensor.js';
import type { CompareOp, Primitive } from '../../ops/primitives.js';
import type { VarId } from '../graph.js';
import type { GroupLayout } from '../compile/codegen.js';
import { accessOf, type Access, type Group } from '../compile/plan.js';

/**
 * A fused group of the jit compiler (`compile/plan.ts`) as a program of the wasm interpreter
 * (`assembly/fused.ts`): a list of instructions [op, dst, a, b, c, d] over registers of
 * FUSED_BLOCK floats, run block by block over the group's elements — every operand loaded once
 * per block, every operation one SIMD loop over the block, the materialised values stored last
 * (so an output may share a full-size operand's buffer, as the JavaScript loops allow).
 *
 * `WASM_FUSED` is the opcode table, keyed like the fusion table (`compile/fusible.ts`): each
 * fusible primitive has an entry, or is in `JS_ONLY` (its group runs as a JavaScript loop).
 * `exact` entries do the evaluation rule's arithmetic (one f32 rounding of the exact result, as
 * the rule's double arithmetic stored into a Float32Array gives), so they give its bits; the
 * others are f32 polynomial approximations (accuracy in test/backend/wasm/fused.test.ts).
 */

/** Floats per block (assembly/fused.ts's BLOCK). */
export const FUSED_BLOCK = 512;
/** i32 words per instruction. */
export const INSTR_WORDS = 6;

/** The interpreter's opcodes (assembly/fused.ts's OP_* constants). */
export const OP = {
  loadFull: 0,
  loadScalar: 1,
  loadBlocked: 2,
  store: 3,
  sum: 4,
  neg: 5,
  abs: 6,
  sqrt: 7,
  sign: 8,
  copy: 9,
  exp: 10,
  log: 11,
  log1p: 12,
  tanh: 13,
  sigmoid: 14,
  softplus: 15,
  add: 16,
  sub: 17,
  mul: 18,
  div: 19,
  max: 20,
  min: 21,
  gt: 22,
  ge: 23,
  lt: 24,
  le: 25,
  eq: 26,
  ne: 27,
  where: 28,
  leaky: 29,
  leakyGrad: 30,
} as const;

/** The low and high i32 words of a double (little-endian), for the leaky factor. */
function f64Words(v: number): [number, number] {
  const w = new Int32Array(new Float64Array([v]).buffer);
  return [w[0]!, w[1]!];
}

/** leakyRelu's factor for x ≤ 0 exactly as the rule computes it in doubles: 1 + (slope − 1). */
const leakyFactor = (slope: number): number => 1 + (slope - 1);

const COMPARE: Record<CompareOp, number> = { gt: OP.gt, ge: OP.ge, lt: OP.lt, le: OP.le, eq: OP.eq, ne: OP.ne };

type Encoder = (dst: number, src: readonly number[], params: never) => number[];
export type WasmFusedRule = Readonly<{ exact: boolean; encode: Encoder }>;

const unary = (op: number, exact: boolean): WasmFusedRule => ({ exact, encode: (d, [a]) => [op, d, a!, 0, 0, 0] });
const binary = (op: number): WasmFusedRule => ({ exact: true, encode: (d, [a, b]) => [op, d, a!, b!, 0, 0] });

export const WASM_FUSED: { readonly [P in Primitive]?: WasmFusedRule } = {
  neg: unary(OP.neg, true),
  abs: unary(OP.abs, true),
  sqrt: unary(OP.sqrt, true),
  sign: unary(OP.sign, true),
  stopGradient: unary(OP.copy, true),
  exp: unary(OP.exp, false),
  log: unary(OP.log, false),
  log1p: unary(OP.log1p, false),
  tanh: unary(OP.tanh, false),
  sigmoid: unary(OP.sigmoid, false),
  softplus: unary(OP.softplus, false),
  add: binary(OP.add),
  sub: binary(OP.sub),
  mul: binary(OP.mul),
  div: binary(OP.div),
  maximum: binary(OP.max),
  minimum: binary(OP.min),
  compare: { exact: true, encode: (d, [a, b], p: { op: CompareOp }) => [COMPARE[p.op], d, a!, b!, 0, 0] },
  where: { exact: true, encode: (d, [c, a, b]) => [OP.where, d, c!, a!, b!, 0] },
  leakyRelu: { exact: true, encode: (d, [x], p: { slope: number }) => [OP.leaky, d, x!, ...f64Words(leakyFactor(p.slope)), 0] },
  leakyReluGrad: { exact: true, encode: (d, [x, g], p: { slope: number }) => [OP.leakyGrad, d, x!, g!, ...f64Words(leakyFactor(p.slope))] },
};

/** Fusible primitives without an opcode: a group containing one runs as a JavaScript loop (pow: no SIMD pow). */
export const JS_ONLY: ReadonlySet<Primitive> = new Set<Primitive>(['pow']);

/** A group's program, with the f64 accumulators of its sums (converted to f32 after the run). */
export type FusedProgram = Readonly<{
  words: Int32Array;
  instructions: number;
  registers: number;
  /** Each sum: its accumulators' byte offset (f64), how many (element i adds to accumulator ⌊i / inner⌋ mod size), and where the f32 result goes. */
  sums: ReadonlyArray<Readonly<{ acc: number; size: number; inner: number; out: number }>>;
}>;

export type EncodeOptions = Readonly<{
  /** Byte offset of every external operand and materialised value. */
  addr: (v: VarId) => number;
  /** Byte offset of `size` f64 accumulators for a sum (called once per sum node). */
  accumulators: (size: number) => number;
  /** Only exact operations (a group with an approximate one is not encoded). */
  exactOnly: boolean;
}>;

const accessKey = (v: VarId, a: Access): string => `${v}:${a.kind === 'blocked' ? `${a.inner}/${a.mid}` : a.kind}`;

/** Whether every operation of the group has an opcode (exact ones only, when asked). */
export function encodable(group: Group, exactOnly: boolean): boolean {
  return group.nodes.every((n) => {
    if (n.prim === 'sum') return true;
    const rule = WASM_FUSED[n.prim];
    return rule !== undefined && (rule.exact || !exactOnly);
  });
}

/**
 * The program of `group` (undefined when an operation has no opcode): loads of the layout's
 * operands, the operations in order, sums, then stores of the materialised values. Registers
 * are reused once their value's last reader has run.
 */
export function encodeGroup(group: Group, layout: GroupLayout, opts: EncodeOptions): FusedProgram | undefined {
  if (!encodable(group, opts.exactOnly)) return undefined;
  const members = new Set(group.nodes.map((n) => n.out));
  const outputs = new Set(layout.outputs);
  // Readers left per value (operand keys and member ids), to free registers.
  const readsLeft = new Map<string, number>();
  const keyOf = (a: { v: VarId; shape: readonly number[] }): string => (members.has(a.v) ? `m${a.v}` : accessKey(a.v, accessOf(a.shape, group.shape)!));
  for (const n of group.nodes) for (const a of n.args) readsLeft.set(keyOf(a), (readsLeft.get(keyOf(a)) ?? 0) + 1);
  for (const v of outputs) if (members.has(v)) readsLeft.set(`m${v}`, (readsLeft.get(`m${v}`) ?? 0) + 1);

  const free: number[] = [];
  let registers = 0;
  const take = (): number => free.pop() ?? registers++;
  const regOf = new Map<string, number>();
  const words: number[] = [];
  const read = (k: string): number => {
    const r = regOf.get(k)!;
    const left = readsLeft.get(k)! - 1;
    readsLeft.set(k, left);
    if (left === 0) free.push(r);
    return r;
  };

  for (const { v, access } of layout.inputs) {
    const r = take();
    regOf.set(accessKey(v, access), r);
    const p = opts.addr(v);
    if (access.kind === 'full') words.push(OP.loadFull, r, p, 0, 0, 0);
    else if (access.kind === 'scalar') words.push(OP.loadScalar, r, p, 0, 0, 0);
    else words.push(OP.loadBlocked, r, p, access.inner, access.mid, 0);
  }
  const sums: { acc: number; size: number; inner: number; out: number }[] = [];
  const summed = new Set<VarId>();
  const n = sizeOf(group.shape);
  for (const node of group.nodes) {
    if (node.prim === 'sum') {
      const { axes } = node.params as { axes: readonly number[] };
      const access = accessOf(group.shape.map((d, i) => (axes.includes(i) ? 1 : d)), group.shape)!;
      const [inner, mid] = access.kind === 'blocked' ? [access.inner, access.mid] : [Math.max(n, 1), 1];
      const acc = opts.accumulators(mid);
      words.push(OP.sum, read(keyOf(node.args[0]!)), acc, inner, mid, 0);
      sums.push({ acc, size: mid, inner, out: opts.addr(node.out) });
      summed.add(node.out);
      continue;
    }
    const src = node.args.map((a) => read(keyOf(a)));
    const dst = take();
    words.push(...WASM_FUSED[node.prim]!.encode(dst, src, node.params as never));
    if ((readsLeft.get(`m${node.out}`) ?? 0) > 0) regOf.set(`m${node.out}`, dst);
    else free.push(dst);
  }
  for (const v of layout.outputs) {
    if (summed.has(v)) continue;
    words.push(OP.store, read(`m${v}`), opts.addr(v), 0, 0, 0);
  }
  return { words: Int32Array.from(words), instructions: words.length / INSTR_WORDS, registers, sums };
}
