import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import * as nn from '../../src/nn/index.js';
import { key, normal } from '../../src/core/random.js';
import { tensor, zeros } from '../../src/core/tensor.js';
import { StateDictError, loadStateDict, snakeCase, stateDict, stateDictEntries } from '../../src/io/state_dict.js';

/** A small DCGAN-style generator touching every named layer kind. */
const G = nn.sequential(
  nn.Linear(8 * 2 * 2),
  nn.BatchNorm(),
  nn.ReLU(),
  nn.Reshape([8, 2, 2]),
  nn.ConvTranspose2d(4, { kernel: 4, stride: 2, padding: 1 }),
  nn.BatchNorm(),
  nn.ReLU(),
  nn.spectralNorm(nn.Conv2d(1, { kernel: 3, padding: 1 })),
  nn.Tanh(),
);

describe('state dict names', () => {
  it('names a generator as the matching torch.nn.Sequential state_dict does', () => {
    const { params, state } = G.init(key(0), [3]);
    // The keys of torch.nn.Sequential(Linear(3, 32), BatchNorm1d(32), ReLU(), Unflatten(1, (8, 2, 2)),
    // ConvTranspose2d(8, 4, 4, 2, 1), BatchNorm2d(4), ReLU(), spectral_norm(Conv2d(4, 1, 3, 1, 1)),
    // Tanh()).state_dict(), without BatchNorm's num_batches_tracked.
    const torchKeys = [
      '0.weight', '0.bias',
      '1.weight', '1.bias', '1.running_mean', '1.running_var',
      '4.weight', '4.bias',
      '5.weight', '5.bias', '5.running_mean', '5.running_var',
      '7.bias', '7.weight_orig', '7.weight_u', '7.weight_v',
    ];
    assert.deepEqual([...stateDict(params, state).keys()].sort(), torchKeys.sort());
  });
  it('gives each tensor its PyTorch shape (weights [out, in], u [out], v [in·kh·kw])', () => {
    const { params, state } = G.init(key(0), [3]);
    const shapes = Object.fromEntries([...stateDict(params, state)].map(([k, t]) => [k, t.shape]));
    assert.deepEqual(shapes['0.weight'], [32, 3]);
    assert.deepEqual(shapes['4.weight'], [8, 4, 4, 4]);
    assert.deepEqual(shapes['7.weight_orig'], [1, 4, 3, 3]);
    assert.deepEqual(shapes['7.weight_u'], [1]);
    assert.deepEqual(shapes['7.weight_v'], [36]);
  });
  it('records for every name which tree and path the tensor came from', () => {
    const { params, state } = G.init(key(0), [3]);
    const byName = new Map(stateDictEntries(params, state).map((e) => [e.name, e]));
    assert.deepEqual(byName.get('1.running_var')!.path, [1, 'runningVar']);
    assert.equal(byName.get('1.running_var')!.tree, 'state');
    assert.deepEqual(byName.get('7.weight_u')!.path, [7, 'u']);
    assert.deepEqual(byName.get('7.weight_orig')!.path, [7, 'weight']);
    assert.equal(byName.get('7.weight_orig')!.tree, 'params');
  });
  it('nests objects with dots and converts camelCase keys to snake_case', () => {
    assert.equal(snakeCase('runningMean'), 'running_mean');
    const names = [...stateDict({ g: [{ weight: zeros([1]) }], mapping: { fooBar: zeros([2]) } }, {}).keys()].sort();
    assert.deepEqual(names, ['g.0.weight', 'mapping.foo_bar']);
  });
  it('refuses two tensors that would share a name', () => {
    assert.throws(() => stateDict({ aB: zeros([1]), a_b: zeros([1]) }, {}), /"a_b" is produced twice/);
  });
});

describe('loadStateDict', () => {
  const trained = G.init(key(1), [3]);
  const template = G.init(key(2), [3]);
  it('loads a state dict into a fresh layer so that it computes what the original did', () => {
    const r = loadStateDict(template, stateDict(trained.params, trained.state));
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const z = normal(key(3), [2, 3]);
    const [yWant] = G.apply(trained.params, trained.state, z, { train: false });
    const [yGot] = G.apply(r.right.params, r.right.state, z, { train: false });
    assert.deepEqual([...yGot.data], [...yWant.data]);
    assert.deepEqual(stateDict(r.right.params, r.right.state), stateDict(trained.params, trained.state));
  });
  it("recomputes spectral norm's σ = uᵀWv from the loaded tensors (PyTorch keeps no σ)", () => {
    const r = loadStateDict(template, stateDict(trained.params, trained.state));
    assert.ok(E.isRight(r));
    const sigma = (state: unknown): number => (state as readonly { sigma: { data: Float32Array } }[])[7]!.sigma.data[0]!;
    const want = sigma(trained.state);
    assert.notEqual(sigma(template.state), want);
    assert.ok(Math.abs(sigma(r.right.state) - want) <= 1e-5 * Math.abs(want), `${sigma(r.right.state)} vs ${want}`);
  });
  it('names every missing, unexpected and mis-shaped tensor in one error', () => {
    const sd = stateDict(trained.params, trained.state);
    sd.delete('0.bias');
    sd.delete('7.weight_u');
    sd.set('9.weight', zeros([1]));
    sd.set('4.bias', zeros([5]));
    const r = loadStateDict(template, sd);
    assert.ok(E.isLeft(r));
    assert.ok(r.left instanceof StateDictError);
    assert.deepEqual([...r.left.missing].sort(), ['0.bias', '7.weight_u']);
    assert.deepEqual(r.left.unexpected, ['9.weight']);
    assert.deepEqual(r.left.mismatched, [{ name: '4.bias', expected: [4], actual: [5] }]);
    assert.match(r.left.message, /missing .*0\.bias.*; unexpected 9\.weight; wrong shape 4\.bias \(got \[5\], expected \[4\]\)/);
    assert.ok(!r.left.message.includes('\n'));
  });
  it("accepts and ignores PyTorch's num_batches_tracked next to batch-norm running stats, and only there", () => {
    const sd = stateDict(trained.params, trained.state);
    sd.set('1.num_batches_tracked', tensor([], [7]));
    assert.ok(E.isRight(loadStateDict(template, sd)));
    sd.set('0.num_batches_tracked', tensor([], [7]));
    const r = loadStateDict(template, sd);
    assert.ok(E.isLeft(r));
    assert.deepEqual(r.left.unexpected, ['0.num_batches_tracked']);
  });
  it('accepts a plain object of tensors and keeps number leaves of the template', () => {
    const r = loadStateDict({ params: { w: zeros([2]), scale: 3 }, state: {} }, { w: tensor([2], [1, 2]) });
    assert.ok(E.isRight(r));
    assert.deepEqual([...(r.right.params.w.data)], [1, 2]);
    assert.equal(r.right.params.scale, 3);
  });
});
