import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { key, normal } from '../../src/core/random.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { encodeGenerator, loadGenerator } from '../../src/train/generator_file.js';
import { PRESETS } from '../../src/train/presets.js';
import { resolveRunConfig } from '../../src/train/run_config.js';
import { generate } from '../../src/train/sampling.js';

useBackend(referenceBackend);

const run = resolveRunConfig(PRESETS['mnist-dcgan']);
assert.ok(E.isRight(run));
const { train, run: cfg } = run.right;
const init = train.generator.init(key(5), [cfg.latent.dim]);
const description = { latent: cfg.latent, dataShape: [1, 28, 28], generator: cfg.generator, preset: 'mnist-dcgan', step: 12 };

describe('encodeGenerator / loadGenerator', () => {
  it('round-trips a batch-norm generator: the loaded one draws the same samples bit for bit', () => {
    const bytes = encodeGenerator({ ...description, params: init.params, state: init.state });
    const g = loadGenerator(bytes);
    assert.ok(E.isRight(g), E.isLeft(g) ? g.left.message : '');
    const z = normal(key(1), [4, cfg.latent.dim]);
    assert.deepEqual(Array.from(g.right.sample(z).data), Array.from(generate(train.generator, init, z).data));
    assert.deepEqual([g.right.step, g.right.preset], [12, 'mnist-dcgan']);
  });

  it('names its tensors as PyTorch state_dict keys of the Sequential', () => {
    const bytes = encodeGenerator({ ...description, params: init.params, state: init.state });
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))));
    for (const name of ['0.weight', '0.bias', '2.running_mean', '2.running_var', '4.weight', '7.bias']) assert.ok(header.includes(`"${name}"`), name);
  });

  it('refuses a safetensors file without a generator description, and one with a tensor missing', () => {
    const plain = serializeSafetensors({ w: normal(key(0), [2]) });
    const a = loadGenerator(plain);
    assert.ok(E.isLeft(a) && /not a puregan generator file/.test(a.left.message));
    const bytes = encodeGenerator({ ...description, params: init.params, state: init.state });
    const g = loadGenerator(bytes);
    assert.ok(E.isRight(g));
    const meta = { 'puregan.generator': JSON.stringify({ format: 'puregan-generator/1', ...description }) };
    const partial = serializeSafetensors({ '0.weight': normal(key(0), [64 * 49, 64]) }, meta);
    const b = loadGenerator(partial);
    assert.ok(E.isLeft(b) && /missing .*0\.bias/.test(b.left.message), E.isLeft(b) ? b.left.message : '');
  });

  it('refuses garbage bytes with the parser\'s typed error', () => {
    const r = loadGenerator(new Uint8Array([1, 2, 3]));
    assert.ok(E.isLeft(r) && r.left.tag === 'ParseError');
  });
});
