/**
 * Benchmark (tinybench) of the structural primitives' evaluation rules on a DCGAN-sized
 * activation `[32, 64, 16, 16]`: the strided walks (transpose, broadcast, slice, pad, and the
 * interior pad that is a strided slice's VJP) and the reductions, all sharing one index carry.
 *
 *     node dist/bench/structural.js            # table
 *     node dist/bench/structural.js --json     # one JSON object per line
 *
 * Times are medians and minima of whole ops, including the fresh output array.
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { tensor, type Tensor } from '../src/core/tensor.js';
import * as ops from '../src/ops/index.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } }, strict: true });

const filled = (shape: readonly number[]): Tensor => {
  const d = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) d[i] = Math.sin(i * 12.9898);
  return tensor(shape, d);
};
const x = filled([32, 64, 16, 16]);
const half = filled([32, 64, 8, 8]);
const channel = filled([64, 1, 1]);

const bench = new Bench({ time: 500, throws: true });
bench
  .add('transpose NCHW→NHWC', () => ops.transpose(x, [0, 2, 3, 1]))
  .add('transpose reversed axes', () => ops.transpose(x, [3, 2, 1, 0]))
  .add('broadcastTo [64,1,1] → x', () => ops.broadcastTo(channel, x.shape))
  .add('slice stride 2 in H, W', () => ops.slice(x, [0, 0, 0, 0], undefined, [1, 1, 2, 2]))
  .add('pad 1 in H, W', () => ops.pad(x, [[0, 0], [0, 0], [1, 1], [1, 1]]))
  .add('interior pad (VJP of stride-2 slice)', () => ops.bind('pad', [half], { lo: [0, 0, 0, 0], hi: [0, 0, 1, 1], interior: [0, 0, 1, 1] }))
  .add('sum over N, H, W', () => ops.sum(x, { axis: [0, 2, 3] }))
  .add('sum over C', () => ops.sum(x, { axis: 1 }))
  .add('max over W', () => ops.max(x, { axis: 3 }));
await bench.run();

for (const t of bench.tasks) {
  const r = t.result;
  if (r.state !== 'completed') throw new Error(`benchmark task ${t.name} did not complete (${r.state})`);
  const row = { name: t.name, medianMs: r.latency.p50, minMs: r.latency.min, samples: r.latency.samplesCount };
  if (values.json) console.log(JSON.stringify(row));
  else console.log(`${row.name.padEnd(40)} median ${row.medianMs.toFixed(3)} ms   min ${row.minMs.toFixed(3)} ms   (${row.samples} samples)`);
}
