import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key, normal } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { quickSampleQuality, realReference, sampleQuality, type MetricNetwork } from '../../src/metrics/sample_quality.js';
import { frechetDistance } from '../../src/metrics/frechet.js';
import { kernelDistance } from '../../src/metrics/kernel_distance.js';

/**
 * A stand-in network on 2-D "samples": the features are the samples themselves, and the
 * "class" is the quadrant (4 classes), predicted with certainty.
 */
const quadrants: MetricNetwork = {
  features: (x) => x,
  probabilities: (x) => {
    const n = x.shape[0]!;
    const p = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) p[i * 4 + (x.data[2 * i]! > 0 ? 1 : 0) + (x.data[2 * i + 1]! > 0 ? 2 : 0)] = 1;
    return tensor([n, 4], p);
  },
};

const around = (seed: number, n: number, cx: number, cy: number): Tensor =>
  tensor([n, 2], normal(key(seed), [n, 2]).data.map((v, i) => (i % 2 === 0 ? cx : cy) + 0.3 * v));

describe('sampleQuality', () => {
  it('reports the metrics of each module on the same features', () => {
    const real = normal(key(1), [80, 2]);
    const fake = around(2, 60, 1, 1);
    const q = sampleQuality({ net: quadrants, samples: fake, reference: realReference(quadrants, real) });
    assert.equal(q.n, 60);
    assert.equal(q.frechetDistance, frechetDistance(fake, real));
    assert.equal(q.kernelDistance, kernelDistance(fake, real));
  });

  it('sees a generator stuck in one quadrant: one class covered, score 1, low recall', () => {
    const real = normal(key(1), [200, 2]);
    const q = sampleQuality({ net: quadrants, samples: around(2, 200, 1.5, 1.5), reference: realReference(quadrants, real) });
    assert.equal(q.classesCovered, 1);
    assert.ok(Math.abs(q.score - 1) < 1e-9);
    assert.ok(Math.abs(q.classKlFromUniform - Math.log(4)) < 1e-9);
    assert.ok(q.recall < 0.3 && q.precision > 0.8, `precision ${q.precision}, recall ${q.recall}`);
  });
});

describe('quickSampleQuality', () => {
  it('equals sampleQuality on the metrics it computes (FD, score, coverage)', () => {
    const reference = realReference(quadrants, normal(key(1), [90, 2]));
    const samples = around(3, 70, 0.5, -0.5);
    const full = sampleQuality({ net: quadrants, samples, reference });
    const { kernelDistance: _k, precision: _p, recall: _r, ...expected } = full;
    assert.deepEqual(quickSampleQuality({ net: quadrants, samples, reference }), expected);
  });
});
