import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { key, normal, uniform } from '../../src/core/random.js';
import { full, tensor } from '../../src/core/tensor.js';
import { BatchNorm, ConditionalBatchNorm } from '../../src/nn/index.js';
import { assertClose } from '../helpers/assert_close.js';

/** Hand-computed float64 batch norm of x [N, C] with per-sample γ, β. */
function expected(x: number[][], gamma: number[][], beta: number[][]): number[] {
  const n = x.length;
  const c = x[0]!.length;
  const out: number[] = [];
  const mu = Array.from({ length: c }, (_, j) => x.reduce((a, r) => a + r[j]!, 0) / n);
  const v = Array.from({ length: c }, (_, j) => x.reduce((a, r) => a + (r[j]! - mu[j]!) ** 2, 0) / n);
  x.forEach((r, i) => r.forEach((xv, j) => out.push(((xv - mu[j]!) / Math.sqrt(v[j]! + 1e-5)) * gamma[i]![j]! + beta[i]![j]!)));
  return out;
}

describe('ConditionalBatchNorm', () => {
  const layer = ConditionalBatchNorm(3);
  const init = layer.init(key(0), [2]);
  const params = { weight: uniform(key(1), [3, 2], 0.5, 2), bias: normal(key(2), [3, 2]) };
  const xs = [[1, -2], [0.5, 3], [2, 0], [-1, 1]];
  const labels = [2, 0, 2, 1];
  const x = tensor([4, 2], xs.flat());
  const row = (t: Float32Array, k: number) => [t[2 * k]!, t[2 * k + 1]!];

  it('scales and shifts each sample by its own class\'s gamma and beta', () => {
    const [y] = layer.apply(params, init.state, x, { train: true, labels: tensor([4], labels) });
    assertClose(y, expected(xs, labels.map((l) => row(params.weight.data, l)), labels.map((l) => row(params.bias.data, l))), 1e-5);
  });

  it('updates running statistics exactly as BatchNorm does', () => {
    const [, s] = layer.apply(params, init.state, x, { train: true, labels: tensor([4], labels) });
    const bn = BatchNorm();
    const b = bn.init(key(0), [2]);
    const [, sb] = bn.apply(b.params, b.state, x, { train: true });
    assert.deepEqual([...s.runningMean.data], [...sb.runningMean.data]);
    assert.deepEqual([...s.runningVar.data], [...sb.runningVar.data]);
  });

  it('normalises with the running statistics in evaluation', () => {
    const state = { runningMean: full([2], 0.5), runningVar: full([2], 4) };
    const [y] = layer.apply(params, state, x, { train: false, labels: tensor([4], labels) });
    const want = xs.flatMap((r, i) => r.map((v, j) => ((v - 0.5) / Math.sqrt(4 + 1e-5)) * row(params.weight.data, labels[i]!)[j]! + row(params.bias.data, labels[i]!)[j]!));
    assertClose(y, want, 1e-5);
  });

  it('gives a different output when a label changes', () => {
    const [a] = layer.apply(params, init.state, x, { train: true, labels: tensor([4], labels) });
    const [b] = layer.apply(params, init.state, x, { train: true, labels: tensor([4], [2, 0, 2, 0]) });
    assert.deepEqual([...a.data.slice(0, 6)], [...b.data.slice(0, 6)]);
    assert.notDeepEqual([...a.data.slice(6)], [...b.data.slice(6)]);
  });

  it('names itself when the context has no labels', () => {
    assert.throws(() => layer.apply(params, init.state, x, { train: true }), (e: unknown) => e instanceof ValueError && /ConditionalBatchNorm\(3\)/.test(e.message));
  });
});
