import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { treeFlatten } from '../../src/core/pytree.js';
import { key, normal, split } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { concrete } from '../../src/ops/dispatch.js';
import * as ops from '../../src/ops/index.js';
import {
  BatchNorm,
  Conv2d,
  ConvTranspose2d,
  ConcatLabelEmbedding,
  ConcatOneHotLabels,
  ConditionalBatchNorm,
  DiffAugment,
  Dropout,
  ELU,
  Embedding,
  Flatten,
  InstanceNorm,
  LayerNorm,
  LeakyReLU,
  Linear,
  MinibatchStddev,
  Pack,
  ProjectionHead,
  ReLU,
  Reshape,
  Sigmoid,
  Tanh,
  Upsample,
  refreshState,
  residual,
  sequential,
  withHeads,
  spectralNorm,
  type AnyLayer,
  type Ctx,
} from '../../src/nn/index.js';
import { DataReadError, withoutData } from '../helpers/no_data_interpreter.js';

type Case = Readonly<{ layer: AnyLayer; sample: readonly number[]; batch?: number; x?: Tensor; ctx?: Ctx }>;

const [kd] = split(key(9), 1);
const labels = tensor([4], [2, 0, 1, 2]);
const cases: readonly Case[] = [
  { layer: Linear(3) as AnyLayer, sample: [5] },
  { layer: Conv2d(2, { kernel: 3, padding: 1 }) as AnyLayer, sample: [2, 6, 6] },
  { layer: ConvTranspose2d(2, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer, sample: [2, 4, 4] },
  { layer: BatchNorm() as AnyLayer, sample: [3, 4, 4] },
  { layer: BatchNorm() as AnyLayer, sample: [3, 4, 4], ctx: { train: false } },
  { layer: InstanceNorm({ affine: true }) as AnyLayer, sample: [3, 4, 4] },
  { layer: LayerNorm() as AnyLayer, sample: [3, 4, 4] },
  { layer: ReLU(), sample: [6] },
  { layer: LeakyReLU(0.2), sample: [6] },
  { layer: ELU(), sample: [6] },
  { layer: Tanh(), sample: [6] },
  { layer: Sigmoid(), sample: [6] },
  { layer: Flatten(), sample: [2, 3, 3] },
  { layer: Reshape([4, 8]), sample: [2, 4, 4] },
  { layer: Upsample(2, 'nearest'), sample: [2, 3, 3] },
  { layer: Upsample(2, 'bilinear'), sample: [2, 3, 3] },
  { layer: Dropout(0.5), sample: [8], ctx: { train: true, key: kd! } },
  { layer: Embedding(10, 4) as AnyLayer, sample: [], x: tensor([4], [7, 0, 9, 3]) },
  { layer: MinibatchStddev(2), sample: [2, 4, 4] },
  { layer: spectralNorm(Linear(3)) as AnyLayer, sample: [5] },
  { layer: spectralNorm(Conv2d(4, { kernel: 4, stride: 2, padding: 1 })) as AnyLayer, sample: [1, 8, 8] },
  {
    layer: sequential(spectralNorm(Conv2d(4, { kernel: 4, stride: 2, padding: 1 })), BatchNorm(), LeakyReLU(0.2), Flatten(), spectralNorm(Linear(1))),
    sample: [1, 8, 8],
  },
  { layer: ConcatLabelEmbedding(3, 2) as AnyLayer, sample: [5], ctx: { train: true, labels } },
  { layer: ConcatOneHotLabels(3), sample: [1, 4, 4], ctx: { train: true, labels } },
  { layer: ConditionalBatchNorm(3) as AnyLayer, sample: [2, 4, 4], ctx: { train: true, labels } },
  { layer: ConditionalBatchNorm(3) as AnyLayer, sample: [2, 4, 4], ctx: { train: false, labels } },
  { layer: ProjectionHead(3, { spectralNorm: true }) as AnyLayer, sample: [6], ctx: { train: true, labels } },
  { layer: withHeads(Linear(6), [spectralNorm(Linear(1)), Linear(3)]) as AnyLayer, sample: [5] },
  { layer: residual(sequential(ReLU(), spectralNorm(Conv2d(2, { kernel: 3, padding: 1 }))), Conv2d(2, { kernel: 1 })) as AnyLayer, sample: [3, 4, 4] },
  { layer: DiffAugment(), sample: [2, 8, 8], ctx: { train: true, key: kd! } },
  { layer: Pack(2), sample: [2, 4, 4] },
];

/** refresh (if the layer has one), then apply in the case's mode: the work a training step does with a layer. */
function step(c: Case, inputs: { params: unknown; state: unknown; x: Tensor }): { y: Tensor; refreshed: unknown; state: unknown } {
  const refreshed = refreshState(c.layer, inputs.params, inputs.state);
  const [y, state] = c.layer.apply(inputs.params, refreshed, inputs.x, c.ctx ?? { train: true });
  return { y, refreshed, state };
}

const leavesOf = (tree: unknown): number[][] => treeFlatten(tree).leaves.map((l) => (typeof l === 'number' ? [l] : [...l.data]));

describe('layers trace without reading tensor data', () => {
  for (const c of cases) {
    it(`${c.layer.name}${c.ctx?.train === false ? ' (eval)' : ''}: refresh and apply run on data-less tracers and give the eager result`, () => {
      const { params, state } = c.layer.init(key(1), c.sample);
      const x = c.x ?? normal(key(2), [c.batch ?? 4, ...c.sample]);
      const eager = step(c, { params, state, x });
      const traced = withoutData({ params, state, x }, (inputs) => step(c, inputs));
      assert.deepEqual(leavesOf(traced), leavesOf(eager));
    });
  }
});

describe('the data-less interpreter', () => {
  it('throws on a read of .data inside the traced function', () => {
    assert.throws(() => withoutData(normal(key(0), [3]), (x) => ops.mul(x, x.data[0]!)), DataReadError);
  });

  it('throws on a read of the concrete value behind a tracer', () => {
    assert.throws(() => withoutData(normal(key(0), [3]), (x) => ops.mul(x, concrete(x).data[0]!)), DataReadError);
  });

  it('returns real values that match an eager run', () => {
    const x = normal(key(0), [2, 3]);
    const traced = withoutData(x, (t) => ops.sum(ops.mul(ops.exp(t), t), { axis: 1 }));
    assert.deepEqual([...traced.data], [...ops.sum(ops.mul(ops.exp(x), x), { axis: 1 }).data]);
  });
});
