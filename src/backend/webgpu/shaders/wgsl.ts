/**
 * Helpers for generated WGSL: u32 literals, the buffer declarations every kernel starts with, the
 * params words, and the 1-D launch grid of elementwise kernels.
 *
 * A kernel's WGSL depends only on its kind and variant (the primitive, the transposes, a bias);
 * every shape, stride, padding or size is a u32 word of its params buffer `P`, so one compiled
 * pipeline serves every shape.
 */

/**
 * One dispatch of a kernel: `wgsl` (shape-free), its `params` words (u32; floats as their bits,
 * `f32Bits`; signed values as two's complement, `i32Bits`), bound as `P`, and the launch grid.
 */
export type Kernel = Readonly<{ wgsl: string; params: readonly number[]; workgroups: readonly [number, number, number] }>;

/** The bits of float32(v) as a u32 word (read in WGSL with `bitcast<f32>`). */
export function f32Bits(v: number): number {
  return new Uint32Array(new Float32Array([v]).buffer)[0]!;
}

/** A signed integer as a u32 word (read in WGSL with `bitcast<i32>`). */
export const i32Bits = (v: number): number => v >>> 0;

/** A u32 literal. */
export const u32 = (v: number): string => `${v}u`;

/**
 * Read-only storage bindings `in0 … in{n−1}`, the read-write `out` at binding n and the params
 * `P` (of type `params`: the u32 words, or a struct of u32 / f32 fields) at binding n + 1.
 */
export function bindings(inputs: number, params = 'array<u32>'): string {
  const lines: string[] = [];
  for (let i = 0; i < inputs; i++) lines.push(`@group(0) @binding(${i}) var<storage, read> in${i}: array<f32>;`);
  lines.push(`@group(0) @binding(${inputs}) var<storage, read_write> out: array<f32>;`);
  lines.push(`@group(0) @binding(${inputs + 1}) var<storage, read> P: ${params};`);
  return lines.join('\n');
}

/** Threads per workgroup of the 1-D kernels. */
export const LANE = 256;
/** The most workgroups along one dimension of a dispatch (the WebGPU default limit). */
export const MAX_GROUPS = 65535;

/**
 * The workgroup grid for `n` threads of LANE: `[x, y]` with x·y·LANE ≥ n; a thread's linear
 * index is gid.x + gid.y · x · LANE (`linearIndex`).
 */
export function grid(n: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / LANE));
  if (groups <= MAX_GROUPS) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y];
}

/**
 * The entry point of a 1-D kernel (params `P: array<u32>`): binds `i`, returns past the end.
 * Its params start with `linearParams(n)`: P[0] = n, P[1] = the threads of one grid row.
 */
export function linearMain(body: string): string {
  return `@compute @workgroup_size(${LANE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * P[1];
  if (i >= P[0]) { return; }
${body}
}`;
}

/** The first two params words of a 1-D kernel over n elements (`linearMain`). */
export function linearParams(n: number): [number, number] {
  return [n, grid(n)[0] * LANE];
}

/** The launch grid of a 1-D kernel over n elements. */
export const linearGrid = (n: number): [number, number, number] => [...grid(n), 1];

/** Scalar functions WGSL lacks, or whose built-in overflows (tanh) or is undefined (pow of a negative base). */
export const PRELUDE = `
fn log1p_(x: f32) -> f32 { let u = 1.0 + x; if (u == 1.0) { return x; } return log(u) * (x / (u - 1.0)); }
fn tanh_(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); let t = (1.0 - e) / (1.0 + e); return select(t, -t, x < 0.0); }
fn sigmoid_(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a > 0.0) { return pow(a, b); }
  if (a == 0.0) { if (b > 0.0) { return 0.0; } return 1.0 / a; }
  if (fract(b) != 0.0) { return sqrt(a); }
  let r = pow(-a, b);
  if (fract(b * 0.5) != 0.0) { return -r; }
  return r;
}
`;
