import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import { full, tensor, type Tensor } from '../../src/core/tensor.js';
import { ProjectionHead, refreshState } from '../../src/nn/index.js';
import { assertClose } from '../helpers/assert_close.js';

type HeadParams = { linear: { weight: { data: Float32Array }; bias: { data: Float32Array } }; embed: { weight: { data: Float32Array } } };

describe('ProjectionHead', () => {
  const head = ProjectionHead(4);
  const { params, state, outputShape } = head.init(key(0), [3]);
  const p = params as HeadParams;
  const phi = normal(key(1), [2, 3]);

  it('returns w·φ + b + ⟨V[y], φ⟩ (Miyato & Koyama)', () => {
    const [y] = head.apply(params, state, phi, { train: true, labels: tensor([2], [3, 1]) });
    assert.deepEqual(outputShape, [1]);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
    const f = (n: number) => Array.from(phi.data.slice(3 * n, 3 * n + 3));
    const V = (c: number) => Array.from(p.embed.weight.data.slice(3 * c, 3 * c + 3));
    const want = [0, 1].map((n) => dot(p.linear.weight.data, f(n)) + p.linear.bias.data[0]! + dot(V([3, 1][n]!), f(n)));
    assertClose(y, want, 1e-5);
  });

  it('changes D\'s output when the label changes, by ⟨V[y] − V[y\'], φ⟩', () => {
    const [a] = head.apply(params, state, phi, { train: true, labels: tensor([2], [0, 0]) });
    const [b] = head.apply(params, state, phi, { train: true, labels: tensor([2], [2, 0]) });
    const diff = [0, 1, 2].reduce((s, j) => s + (p.embed.weight.data[j]! - p.embed.weight.data[6 + j]!) * phi.data[j]!, 0);
    assertClose(a.data[0]! - b.data[0]!, diff, 1e-5);
    assert.equal(a.data[1], b.data[1]);
  });

  it('names itself when the context has no labels', () => {
    assert.throws(() => head.apply(params, state, phi, { train: true }), (e: unknown) => e instanceof ValueError && /ProjectionHead\(4\)/.test(e.message));
  });

  it('refreshes the spectral norm of both the linear head and the embedding', () => {
    const sn = ProjectionHead(3, { spectralNorm: true });
    const h = sn.init(key(3), [5]);
    type Sn = { u: Tensor; v: Tensor };
    const st = h.state as { linear: Sn; embed: Sn };
    const reset = (s: Sn): Sn => ({ ...s, u: full(s.u.shape, 1), v: full(s.v.shape, 1) });
    const refreshed = refreshState(sn, h.params, { linear: reset(st.linear), embed: reset(st.embed) }) as { linear: Sn; embed: Sn };
    assert.notDeepEqual([...refreshed.linear.v.data], [...full(st.linear.v.shape, 1).data]);
    assert.notDeepEqual([...refreshed.embed.v.data], [...full(st.embed.v.shape, 1).data]);
  });
});
