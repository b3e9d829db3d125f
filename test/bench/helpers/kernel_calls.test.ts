import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../../src/backend/current.js';
import { referenceBackend } from '../../../src/backend/reference.js';
import { loadWasmBackend, type WasmBackend } from '../../../src/backend/wasm/index.js';
import { benchmarkGanConfig, stepRunners } from '../../../bench/helpers/benchmark_gan.js';
import { kernelCalls, totalFlops, type KernelCall } from '../../../bench/helpers/kernel_calls.js';

/**
 * The benchmark GAN's flops per iteration by hand, layer by layer (batch B = 64; a conv's
 * forward, input gradient and weight gradient each cost 2·B·O·OH·OW·C·KH·KW, a Linear's
 * forward, input gradient and weight gradient each 2·B·in·out):
 *   D step: G forward, D forward on real and on fake, D backward twice (every weight
 *           gradient; input gradients down to the first conv, whose input needs none);
 *   G step: G forward, D forward, D backward to its input (no D weight gradients), G
 *           backward (every weight gradient; input gradients down to the first Linear).
 */
function handCount(): number {
  const B = 64;
  const linear = (i: number, o: number): number => 2 * B * i * o;
  const conv = (c: number, o: number, oh: number): number => 2 * B * o * oh * oh * c * 16;
  const [gLin, gT1, gT2] = [linear(64, 6272), conv(64, 128, 7), conv(1, 64, 14)]; // transposed convs as the convs they are gradients of
  const [dC1, dC2, dLin] = [conv(1, 64, 14), conv(64, 128, 7), linear(6272, 1)];
  const gForward = gLin + gT1 + gT2;
  const dForward = dC1 + dC2 + dLin;
  const dStep = gForward + 2 * dForward + 2 * (2 * dLin + 2 * dC2 + dC1);
  const gStep = gForward + dForward + (dLin + dC2 + dC1) + (2 * gT2 + 2 * gT1 + gLin);
  return dStep + gStep;
}

describe('kernel calls of the traced benchmark GAN iteration (bench/helpers/kernel_calls.ts)', () => {
  let wasm: WasmBackend;
  let calls: KernelCall[];
  before(async () => {
    wasm = await loadWasmBackend();
    useBackend(wasm);
    calls = kernelCalls(stepRunners(benchmarkGanConfig({ sn: false }), wasm).lower());
  });
  after(async () => {
    useBackend(referenceBackend);
    await wasm.close();
  });

  it('counts the flops of the layer-by-layer formula (about 10.3 GFLOP)', () => {
    assert.equal(totalFlops(calls), handCount());
    assert.equal(handCount(), 10_282_467_328);
  });

  it('finds the 33 kernel calls of one D step and one G step', () => {
    const by = (kind: KernelCall['kind']): number => calls.filter((c) => c.kind === kind).length;
    // D step 19 (G forward 3, D forward 2 × 3, D backward 2 × 5), G step 14 (3 + 3 + 3 + 5).
    assert.deepEqual(
      { matmul: by('matmul'), conv2d: by('conv2d'), conv2dGradInput: by('conv2dGradInput'), conv2dGradWeight: by('conv2dGradWeight'), total: calls.length },
      // matmul: G's Linear forward ×2 and weight gradient, D's Linear forward ×3, input gradient ×3, weight gradient ×2;
      // conv2d: D's convs forward ×3 each, the input gradients of G's transposed convs (G step);
      // conv2dGradInput: G's transposed convs forward ×2 each, D's input gradients (conv 2 ×3, conv 1 in the G step);
      // conv2dGradWeight: D's convs ×2 each (D step), G's transposed convs (G step).
      { matmul: 11, conv2d: 8, conv2dGradInput: 8, conv2dGradWeight: 6, total: 33 },
    );
  });
});
