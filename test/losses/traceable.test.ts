import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key, normal, uniform } from '../../src/core/random.js';
import type { Tensor } from '../../src/core/tensor.js';
import { GAN_LOSSES, GAN_LOSS_NAMES } from '../../src/losses/gan.js';
import { gradientPenalty, r1Penalty, type Critic } from '../../src/losses/penalties.js';
import { leakyRelu } from '../../src/ops/activations.js';
import { linear } from '../../src/ops/linalg.js';
import { withoutData } from '../helpers/no_data_interpreter.js';

const real = normal(key(1), [6, 1]);
const fake = normal(key(2), [6, 1]);

describe('GAN losses trace without reading tensor data', () => {
  for (const name of GAN_LOSS_NAMES) {
    it(`${name}: both players' losses run on data-less tracers and give the eager result`, () => {
      const loss = GAN_LOSSES[name];
      const both = ({ r, f }: { r: Tensor; f: Tensor }): Tensor[] => [loss.d(r, f, { realLabel: 0.9 }), loss.g(r, f)];
      const traced = withoutData({ r: real, f: fake }, both);
      assert.deepEqual(traced.map((t) => [...t.data]), both({ r: real, f: fake }).map((t) => [...t.data]));
    });
  }
});

describe('penalties trace without reading tensor data', () => {
  const params = { w1: normal(key(3), [5, 4]), b1: normal(key(4), [5]), w2: normal(key(5), [1, 5]), b2: normal(key(6), [1]) };
  type P = typeof params;
  const critic = (p: P): Critic => (x) => linear(leakyRelu(linear(x, p.w1, p.b1), 0.2), p.w2, p.b2);
  const xr = normal(key(7), [3, 4]);
  const xf = normal(key(8), [3, 4]);
  const alpha = uniform(key(9), [3, 1]);

  it('the gradient penalty (a gradient inside the traced function) gives the eager result', () => {
    const gp = ({ p, r, f }: { p: P; r: Tensor; f: Tensor }): Tensor => gradientPenalty({ critic: critic(p), real: r, fake: f, alpha }).penalty;
    assert.deepEqual([...withoutData({ p: params, r: xr, f: xf }, gp).data], [...gp({ p: params, r: xr, f: xf }).data]);
  });

  it('the R1 penalty gives the eager result', () => {
    const r1 = ({ p, r }: { p: P; r: Tensor }): Tensor => r1Penalty(critic(p), r, 10);
    assert.deepEqual([...withoutData({ p: params, r: xr }, r1).data], [...r1({ p: params, r: xr }).data]);
  });
});
