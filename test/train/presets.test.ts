import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { key } from '../../src/core/random.js';
import { stateDictEntries } from '../../src/io/state_dict.js';
import { PRESETS } from '../../src/train/presets.js';
import { resolveRunConfig } from '../../src/train/run_config.js';

useBackend(referenceBackend);

const fixture = fileURLToPath(new URL('../../../test/fixtures/mnist-dcgan-state-dict.txt', import.meta.url));

describe('mnist-dcgan tensor names', () => {
  it('are the committed PyTorch state_dict names (name and shape) of its generator and discriminator (compared as sets: loading goes by name)', () => {
    const r = resolveRunConfig(PRESETS['mnist-dcgan']);
    assert.ok(E.isRight(r));
    const { generator: G, discriminator: D, latent, dataShape } = r.right.train;
    const g = G.init(key(0), [latent.dim]);
    const d = D.init(key(1), dataShape);
    const lines = [
      ...stateDictEntries(g.params, g.state).map((e) => `generator.${e.name} [${e.tensor.shape.join(', ')}]`),
      ...stateDictEntries(d.params, d.state).map((e) => `discriminator.${e.name} [${e.tensor.shape.join(', ')}]`),
    ];
    assert.deepEqual([...lines].sort(), readFileSync(fixture, 'utf8').trimEnd().split('\n').sort());
  });
});
