import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { ValueError } from '../../src/core/errors.js';
import { key } from '../../src/core/random.js';
import { categoricalValues, codeList, generatorInputs, interpolationInputs, traversalInputs, TRAVERSE_POINTS } from '../../src/train/latent_codes.js';
import { sampleLatents } from '../../src/train/sampling.js';

useBackend(referenceBackend);

const latent = { dim: 3, prior: 'normal' } as const;
/** G's input: 3 noise, a 4-value categorical code (columns 3–6), a 2-value one (7–8), 2 continuous (9, 10). */
const infogan = { categorical: [4, 2], continuous: 2 };
const WIDTH = 11;

/** Row i of a `[N, WIDTH]` tensor's data, as numbers. */
const row = (data: Float32Array, i: number): number[] => Array.from(data.subarray(i * WIDTH, (i + 1) * WIDTH));

describe('InfoGAN codes', () => {
  it('names the codes cat0, cat1, cont0, cont1 with their columns in the code block', () => {
    assert.deepEqual(codeList(infogan), [
      { name: 'cat0', kind: 'categorical', values: 4, offset: 0 },
      { name: 'cat1', kind: 'categorical', values: 2, offset: 4 },
      { name: 'cont0', kind: 'continuous', offset: 6 },
      { name: 'cont1', kind: 'continuous', offset: 7 },
    ]);
  });

  it('generatorInputs draws the noise sampleLatents draws, then one one-hot block per categorical code and continuous codes in [-1, 1]', () => {
    const z = generatorInputs({ latent, infogan, key: key(2), n: 5 });
    assert.deepEqual(z.shape, [5, WIDTH]);
    const noise = sampleLatents(latent, key(2), 5).data;
    for (let i = 0; i < 5; i++) {
      const r = row(z.data, i);
      assert.deepEqual(r.slice(0, 3), Array.from(noise.subarray(i * 3, i * 3 + 3)));
      for (const [a, b] of [[3, 7], [7, 9]] as const) {
        assert.deepEqual([...r.slice(a, b)].sort(), [...new Array<number>(b - a - 1).fill(0), 1]);
      }
      assert.ok(r.slice(9).every((v) => v >= -1 && v <= 1));
    }
    assert.deepEqual(generatorInputs({ latent, key: key(2), n: 5 }).data, noise);
  });

  it('a categorical traversal has one column per value: each row keeps its noise and other codes, column j sets value j', () => {
    const rows = 3;
    const { z, columns } = traversalInputs({ latent, infogan, key: key(4), rows, code: 'cat0' });
    assert.equal(columns, 4);
    assert.deepEqual(z.shape, [rows * 4, WIDTH]);
    const base = generatorInputs({ latent, infogan, key: key(4), n: rows }).data;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 4; j++) {
        const got = row(z.data, r * 4 + j);
        const want = row(base, r);
        want.splice(3, 4, ...[0, 1, 2, 3].map((v) => (v === j ? 1 : 0)));
        assert.deepEqual(got, want, `row ${r}, column ${j}`);
      }
    }
  });

  it('a continuous traversal has 9 columns at linspace(-2, 2, 9) in its own column, the rest of the row fixed', () => {
    const { z, columns } = traversalInputs({ latent, infogan, key: key(4), rows: 2, code: 'cont1' });
    assert.equal(columns, TRAVERSE_POINTS);
    const base = generatorInputs({ latent, infogan, key: key(4), n: 2 }).data;
    for (let r = 0; r < 2; r++) {
      for (let j = 0; j < 9; j++) {
        const want = row(base, r);
        want[10] = -2 + j * 0.5;
        assert.deepEqual(row(z.data, r * 9 + j), want);
      }
    }
  });

  it('an unknown code is a ValueError listing the run\'s codes', () => {
    assert.throws(
      () => traversalInputs({ latent, infogan, key: key(0), rows: 1, code: 'cont2' }),
      (e: unknown) => e instanceof ValueError && e.message === 'unknown InfoGAN code "cont2"; this run\'s codes: cat0 (4 values), cat1 (2 values), cont0 (continuous), cont1 (continuous)',
    );
  });

  it('interpolationInputs holds one draw of the codes along each walk', () => {
    const z = interpolationInputs({ latent, infogan, key: key(6), walks: 2, steps: 4 });
    assert.deepEqual(z.shape, [8, WIDTH]);
    for (let w = 0; w < 2; w++) {
      const first = row(z.data, w * 4);
      for (let s = 1; s < 4; s++) assert.deepEqual(row(z.data, w * 4 + s).slice(3), first.slice(3));
    }
    assert.notDeepEqual(row(z.data, 0).slice(3), row(z.data, 4).slice(3));
    assert.notDeepEqual(row(z.data, 0).slice(0, 3), row(z.data, 1).slice(0, 3));
  });

  it('categoricalValues reads each row\'s value of a categorical code from its one-hot block', () => {
    const z = generatorInputs({ latent, infogan, key: key(4), n: 6 });
    for (const [index, start, values] of [[0, 3, 4], [1, 7, 2]] as const) {
      const expected = Array.from({ length: 6 }, (_, i) => row(z.data, i).slice(start, start + values).indexOf(1));
      assert.deepEqual([...categoricalValues({ z, latentDim: 3, infogan, index })], expected);
    }
  });

  it('categoricalValues rejects a code that does not exist and inputs of the wrong width', () => {
    const z = generatorInputs({ latent, infogan, key: key(4), n: 2 });
    assert.throws(() => categoricalValues({ z, latentDim: 3, infogan, index: 2 }), /cat0 \(4 values\), cat1 \(2 values\)/);
    assert.throws(() => categoricalValues({ z, latentDim: 4, infogan, index: 0 }), ValueError);
  });
});
