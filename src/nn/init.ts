import { ValueError } from '../core/errors.js';
import { normal, uniform, type Key } from '../core/random.js';
import { tensor, zeros, type Tensor } from '../core/tensor.js';

/**
 * Weight initialisers: `(key, shape) → Tensor`, deterministic in the key. Fans follow
 * PyTorch's `_calculate_fan_in_and_fan_out`: fan_in = shape[1]·receptive field,
 * fan_out = shape[0]·receptive field (so for a conv-transpose weight `[in, out, k, k]`
 * "fan_in" is out·k·k, exactly as PyTorch computes it).
 */
export type Initializer = (key: Key, shape: readonly number[]) => Tensor;

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    const n = shape[0] ?? 1;
    return { fanIn: n, fanOut: n };
  }
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export const zerosInit: Initializer = (_key, shape) => zeros(shape);
export const constantInit =
  (value: number): Initializer =>
  (_key, shape) =>
    tensor(shape, new Float32Array(shape.reduce((p, d) => p * d, 1)).fill(value));

/** U(−bound, bound). */
export const uniformInit =
  (bound: number): Initializer =>
  (key, shape) =>
    uniform(key, shape, -bound, bound);

/** N(mean, std²). DCGAN uses N(0, 0.02²) for conv weights and N(1, 0.02²) for batch-norm scales. */
export const normalInit =
  (std: number, mean = 0): Initializer =>
  (key, shape) =>
    normal(key, shape, mean, std);

/** DCGAN's initialiser for conv / linear weights: N(0, 0.02²). */
export const dcganInit: Initializer = normalInit(0.02);

/**
 * PyTorch's default for Linear and Conv weights: kaiming_uniform with a = √5, which is
 * U(−1/√fan_in, 1/√fan_in).
 */
export const pytorchDefaultWeight: Initializer = (key, shape) => uniform(key, shape, -1 / Math.sqrt(fans(shape).fanIn), 1 / Math.sqrt(fans(shape).fanIn));

/** PyTorch's default bias: U(−1/√fan_in, 1/√fan_in), fan_in taken from the weight's shape. */
export const pytorchDefaultBias =
  (weightShape: readonly number[]): Initializer =>
  (key, shape) => {
    const b = 1 / Math.sqrt(fans(weightShape).fanIn);
    return uniform(key, shape, -b, b);
  };

/** Xavier/Glorot uniform: U(±gain·√(6/(fan_in + fan_out))). */
export const xavierUniform =
  (gain = 1): Initializer =>
  (key, shape) => {
    const { fanIn, fanOut } = fans(shape);
    const b = gain * Math.sqrt(6 / (fanIn + fanOut));
    return uniform(key, shape, -b, b);
  };

/** Xavier/Glorot normal: N(0, gain²·2/(fan_in + fan_out)). */
export const xavierNormal =
  (gain = 1): Initializer =>
  (key, shape) => {
    const { fanIn, fanOut } = fans(shape);
    return normal(key, shape, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
  };

/** Kaiming/He normal for (leaky) ReLU with negative slope a: N(0, 2/((1 + a²)·fan_in)). */
export const kaimingNormal =
  (a = 0): Initializer =>
  (key, shape) =>
    normal(key, shape, 0, Math.sqrt(2 / (1 + a * a)) / Math.sqrt(fans(shape).fanIn));

/** Kaiming/He uniform: U(±√(6/((1 + a²)·fan_in))). */
export const kaimingUniform =
  (a = 0): Initializer =>
  (key, shape) => {
    const b = Math.sqrt(6 / ((1 + a * a) * fans(shape).fanIn));
    return uniform(key, shape, -b, b);
  };

/**
 * Orthogonal initialisation (Saxe et al.): the weight viewed as `[rows, cols]` has orthonormal
 * rows (rows ≤ cols) or columns, from the QR decomposition (modified Gram–Schmidt in float64) of
 * a normal matrix with signs fixed by R's diagonal, as PyTorch's orthogonal_. Scaled by `gain`.
 */
export const orthogonal =
  (gain = 1): Initializer =>
  (key, shape) => {
    if (shape.length < 2) throw new ValueError(`orthogonal init needs a weight of rank >= 2, got [${shape.join(', ')}]`);
    const rows = shape[0]!;
    const cols = shape.slice(1).reduce((p, d) => p * d, 1);
    const transposed = rows < cols;
    const m = transposed ? cols : rows;
    const n = transposed ? rows : cols;
    const g = normal(key, [m, n]).data;
    // Columns q_j of an m×n matrix (m >= n), orthonormalised in place.
    const q = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => g[i * n + j]!));
    for (let j = 0; j < n; j++) {
      const qj = q[j]!;
      for (let k = 0; k < j; k++) {
        const qk = q[k]!;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += qk[i]! * qj[i]!;
        for (let i = 0; i < m; i++) qj[i]! -= dot * qk[i]!;
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += qj[i]! * qj[i]!;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < m; i++) qj[i]! /= norm;
    }
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = gain * q[j]![i]!;
        if (transposed) out[j * cols + i] = v;
        else out[i * cols + j] = v;
      }
    }
    return tensor(shape, out);
  };
