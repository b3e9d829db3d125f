/**
 * Helpers for generated WGSL: literals, the buffer declarations every kernel starts with, and
 * the 1-D launch grid of elementwise kernels.
 */

/** An f32 literal for a finite number (the value rounded to float32 first). */
export function f32(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`cannot write ${v} as a WGSL literal`);
  const s = String(Math.fround(v));
  return `${s}f`;
}

/** A u32 literal. */
export const u32 = (v: number): string => `${v}u`;

/** Read-only storage bindings `in0 … in{n−1}` and the read-write `out` at binding n. */
export function bindings(inputs: number): string {
  const lines: string[] = [];
  for (let i = 0; i < inputs; i++) lines.push(`@group(0) @binding(${i}) var<storage, read> in${i}: array<f32>;`);
  lines.push(`@group(0) @binding(${inputs}) var<storage, read_write> out: array<f32>;`);
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

/** The entry point of a 1-D kernel over `n` elements: binds `i`, returns past the end. */
export function linearMain(n: number, body: string): string {
  const [x] = grid(n);
  return `@compute @workgroup_size(${LANE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * ${u32(x * LANE)};
  if (i >= ${u32(n)}) { return; }
${body}
}`;
}

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
