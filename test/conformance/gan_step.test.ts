import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { key } from '../../src/core/random.js';
import { mul } from '../../src/ops/elementwise.js';
import { concat } from '../../src/ops/shape.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { readCaseFile, type ReferenceCase } from '../../src/conformance/cases.js';
import { compareTensors } from '../../src/conformance/compare.js';
import { parseLayerSpecs } from '../../src/conformance/layer_specs.js';
import { checkCase, type CaseReport } from '../../src/conformance/run.js';
import { forEachBackend } from '../helpers/backends.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';

useBackend(referenceBackend);

const root = fileURLToPath(new URL('../../../', import.meta.url));
const referenceDir = join(root, '..', 'shared', 'reference');
const stepsDir = join(referenceDir, 'steps');

const readCase = (file: string): ReferenceCase => {
  const r = readCaseFile(file);
  if (E.isLeft(r)) throw r.left;
  return r.right[0]!;
};
const stepCases = readdirSync(stepsDir).filter((f) => f.startsWith('gan_step_')).sort().map((f) => readCase(join(stepsDir, f)));
const mlp = stepCases.find((c) => c.name === 'gan_step_mlp_nonsaturating')!;
const errorOf = (r: CaseReport): string => ('error' in r ? r.error : assert.fail(`expected an error report, got ${JSON.stringify(r)}`));

/** The case with its attrs and inputs edited. */
const edited = (c: ReferenceCase, edit: { attrs?: Record<string, unknown>; inputs?: Record<string, Tensor | undefined> }): ReferenceCase => {
  const inputs = Object.fromEntries(Object.entries({ ...c.inputs, ...edit.inputs }).filter(([, v]) => v !== undefined)) as Record<string, Tensor>;
  return { ...c, attrs: { ...c.attrs, ...edit.attrs }, inputs };
};

forEachBackend(() => {
  describe('gan_step conformance', () => {
    it('the reference folder holds the five gan_step cases', () => {
      assert.equal(stepCases.length, 5);
    });
    for (const c of stepCases) {
      it(`${c.name}: final params, state and every per-step loss match PyTorch`, () => {
        const r = checkCase(c);
        assert.ok('ok' in r && r.ok, JSON.stringify(r));
        assert.ok('maxRelErr' in r && r.maxRelErr < 1e-5, `max rel ${'maxRelErr' in r ? r.maxRelErr : '?'}`);
      });
    }
  });
});

describe('gan_step cases: the runner', () => {
  it('compares the per-step losses: a case whose d_loss_1_0 is off by 0.1% fails on it', () => {
    const d = mlp.outputs.d_loss_1_0!;
    const r = checkCase({ ...mlp, outputs: { ...mlp.outputs, d_loss_1_0: tensor([], [d.data[0]! * 1.001]) } });
    assert.ok('ok' in r && !r.ok && 'worst' in r && r.worst === 'outputs.d_loss_1_0', JSON.stringify(r));
  });

  it('names an unknown layer type, an unknown or mistyped layer field and an unknown attribute, all at once', () => {
    const generator = [{ type: 'linear', in: 3, out: 8, bais: true }, { type: 'gelu' }, { type: 'linear', in: 8, out: 'two' }];
    const msg = errorOf(checkCase(edited(mlp, { attrs: { generator, r1_gamma: 10 } })));
    assert.match(msg, /attrs\.generator\[0\]\.bais: unknown field of a linear layer; expected: in, out, bias, spectral_norm/);
    assert.match(msg, /attrs\.generator\[1\]\.type: unknown layer type "gelu"; expected one of: avg_pool2d, batch_norm/);
    assert.match(msg, /attrs\.generator\[2\]\.out: expected an integer >= 1, got "two"/);
    assert.match(msg, /attrs\.r1_gamma: unknown attribute of a gan_step case/);
  });

  it('names a missing input, an input no layer has, one of the wrong shape and a layer whose `in` does not fit', () => {
    const msg = errorOf(
      checkCase(edited(mlp, { inputs: { 'g.0.bias': undefined, 'g.1.weight': tensor([1], [0]), 'd.0.weight': tensor([2, 8], new Float32Array(16)), z_d_2_0: undefined } })),
    );
    assert.match(msg, /inputs\.g\.0\.bias: missing \(the network has this tensor of shape \[8\]\)/);
    assert.match(msg, /inputs\.g\.1\.weight: not a param or state of the networks/);
    assert.match(msg, /inputs\.d\.0\.weight: shape \[2, 8\] does not fit the layer \(expected \[8, 2\]\)/);
    assert.match(msg, /inputs\.z_d_2_0: missing/);
    const wrongIn = errorOf(checkCase(edited(mlp, { attrs: { discriminator: [{ type: 'linear', in: 3, out: 1 }] } })));
    assert.match(wrongIn, /attrs\.discriminator\[0\]: declares 3 input features/);
  });

  it('names an unknown loss and rejects spectral_norm on a layer without a weight', () => {
    assert.match(errorOf(checkCase(edited(mlp, { attrs: { loss: 'wgan' } }))), /attrs\.loss: expected one of minimax, nonsaturating, wasserstein, hinge, least_squares, ebgan, relativistic, got "wgan"/);
    const r = parseLayerSpecs([{ type: 'relu', spectral_norm: true }], 'attrs.generator');
    assert.ok(E.isLeft(r));
    assert.match(r.left.join(), /attrs\.generator\[0\]\.spectral_norm: unknown field of a relu layer/);
  });

  it('scale {factor} multiplies its input by factor, and a scale without a numeric factor is refused by name', () => {
    const r = parseLayerSpecs([{ type: 'scale', factor: 20 }], 'attrs.discriminator');
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.join() : '');
    const y = r.right[0]!.layer.apply({}, {}, tensor([2, 2], [1, -2, 0.5, 0]), { train: true })[0];
    assert.deepEqual(Array.from(y.data), [20, -40, 10, 0]);
    const bad = parseLayerSpecs([{ type: 'scale', factor: 'big' }, { type: 'scale' }], 'attrs.discriminator');
    assert.deepEqual(E.isLeft(bad) ? bad.left : [], ['attrs.discriminator[0].factor: expected a number, got "big"', 'attrs.discriminator[1].factor: missing (a number)']);
  });

  it('minibatch_stddev {group} appends the group-std channel, by hand on 4 samples; a group that is not an integer >= 1 is refused by name', () => {
    const r = parseLayerSpecs([{ type: 'minibatch_stddev', group: 2 }], 'attrs.discriminator');
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.join() : '');
    assert.deepEqual(r.right[0]!.layer.init(key(0), [3, 2, 2]).outputShape, [4, 2, 2]);
    // [4, 2] features, groups {0, 2} and {1, 3}: std over each pair, averaged over the 2 features.
    const y = r.right[0]!.layer.apply({}, {}, tensor([4, 2], [0, 0, 1, 1, 2, 4, 5, 1]), { train: true })[0];
    const s02 = (1 + 2) / 2; // |0 − 2| / 2 and |0 − 4| / 2
    const s13 = (2 + 0) / 2; // |1 − 5| / 2 and |1 − 1| / 2
    assert.deepEqual(y.shape, [4, 3]);
    const extra = [y.data[2]!, y.data[5]!, y.data[8]!, y.data[11]!];
    extra.forEach((v, i) => assert.ok(Math.abs(v - (i % 2 === 0 ? s02 : s13)) < 1e-4, `sample ${i}: ${v}`));
    const bad = parseLayerSpecs([{ type: 'minibatch_stddev', group: 0 }], 'attrs.discriminator');
    assert.deepEqual(E.isLeft(bad) ? bad.left : [], ['attrs.discriminator[0].group: expected an integer >= 1, got 0']);
  });

  it('spectral_norm on conv_transpose2d normalises along dim 1 as PyTorch does: u has the output-channel length', () => {
    const r = parseLayerSpecs([{ type: 'conv_transpose2d', in: 4, out: 2, kernel: 4, stride: 2, padding: 1, spectral_norm: true }], 'attrs.generator');
    assert.ok(E.isRight(r));
    const init = r.right[0]!.layer.init(key(0), [4, 3, 3]) as { state: { u: Tensor; v: Tensor }; outputShape: readonly number[] };
    assert.deepEqual(init.state.u.shape, [2]);
    assert.deepEqual(init.state.v.shape, [4 * 4 * 4]);
    assert.deepEqual(init.outputShape, [2, 6, 6]);
  });
});

/** Each layer type with an op case, built from a spec, reproduces that op case's PyTorch output. */
describe('gan_step layer specs against the op cases', () => {
  const op = (file: string): ReferenceCase => readCase(join(referenceDir, file));
  const applyOnce = (spec: Record<string, unknown>, c: ReferenceCase, params: unknown = {}, state: unknown = {}): Tensor => {
    const r = parseLayerSpecs([spec], 'spec');
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.join() : '');
    return r.right[0]!.layer.apply(params, state, c.inputs.x!, { train: true })[0];
  };
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ['relu', { type: 'relu' }, 'relu.json'],
    ['leaky_relu', { type: 'leaky_relu', slope: 0.2 }, 'leaky_relu.json'],
    ['tanh', { type: 'tanh' }, 'tanh.json'],
    ['sigmoid', { type: 'sigmoid' }, 'sigmoid.json'],
    ['softplus', { type: 'softplus' }, 'softplus.json'],
    ['avg_pool2d', { type: 'avg_pool2d', kernel: 2 }, 'avg_pool2d.json'],
    ['upsample_nearest2x', { type: 'upsample_nearest2x', scale: 2 }, 'upsample_nearest2x.json'],
  ];
  for (const [name, spec, file] of cases) {
    it(`${name}`, () => {
      const c = op(file);
      const cmp = compareTensors(applyOnce(spec, c), c.outputs.y!);
      assert.ok(cmp.ok, JSON.stringify(cmp));
    });
  }

  it('pixel_shuffle (its case feeds cat([x, x/2, −x, 2x]) along the channels)', () => {
    const c = op('pixel_shuffle.json');
    const x = c.inputs.x!;
    const catted = concat([x, mul(x, 0.5), mul(x, -1), mul(x, 2)], 1);
    const cmp = compareTensors(applyOnce({ type: 'pixel_shuffle', upscale: 2 }, { ...c, inputs: { ...c.inputs, x: catted } }), c.outputs.y!);
    assert.ok(cmp.ok, JSON.stringify(cmp));
  });

  it('linear, conv2d and conv_transpose2d with the case weights', () => {
    const lin = op('linear.json');
    const [o, i] = lin.inputs.weight!.shape as [number, number];
    assert.ok(compareTensors(applyOnce({ type: 'linear', in: i, out: o }, lin, { weight: lin.inputs.weight, bias: lin.inputs.bias }), lin.outputs.y!).ok);
    for (const [file, type] of [['conv2d_1.json', 'conv2d'], ['conv_transpose2d_1.json', 'conv_transpose2d']] as const) {
      const c = op(file);
      const w = c.inputs.weight!.shape as number[];
      const [cin, cout] = type === 'conv2d' ? [w[1]!, w[0]!] : [w[0]!, w[1]!];
      const a = c.attrs as Record<string, number>;
      const spec = { type, in: cin, out: cout, kernel: w[2], stride: a.stride ?? 1, padding: a.padding ?? 0, ...(type === 'conv_transpose2d' ? { output_padding: a.output_padding ?? 0 } : { dilation: a.dilation ?? 1 }) };
      const cmp = compareTensors(applyOnce(spec, c, { weight: c.inputs.weight, bias: c.inputs.bias }), c.outputs.y!);
      assert.ok(cmp.ok, `${file}: ${JSON.stringify(cmp)}`);
    }
  });

  it('batch_norm (train mode, with its running statistics) and instance_norm (affine)', () => {
    const bn = op('batch_norm_train.json');
    const r = parseLayerSpecs([{ type: 'batch_norm', features: bn.inputs.gamma!.shape[0] }], 'spec');
    assert.ok(E.isRight(r));
    const [y, s] = r.right[0]!.layer.apply({ weight: bn.inputs.gamma, bias: bn.inputs.beta }, { runningMean: bn.inputs.running_mean, runningVar: bn.inputs.running_var }, bn.inputs.x!, { train: true });
    const st = s as { runningMean: Tensor; runningVar: Tensor };
    assert.ok(compareTensors(y, bn.outputs.y!).ok);
    assert.ok(compareTensors(st.runningMean, bn.outputs.running_mean!).ok);
    assert.ok(compareTensors(st.runningVar, bn.outputs.running_var!).ok);
    const inorm = op('instance_norm.json');
    const out = applyOnce({ type: 'instance_norm', features: inorm.inputs.gamma!.shape[0], affine: true }, inorm, { weight: inorm.inputs.gamma, bias: inorm.inputs.beta });
    assert.ok(compareTensors(out, inorm.outputs.y!).ok);
  });
});
