import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuMedianOf, interleavedRounds } from '../../../bench/helpers/rounds.js';

/** Spins the calling thread for `ms` of wall time. */
const spin = (ms: number): void => {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
};

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

describe('interleavedRounds', () => {
  it('keeps `iterations` wall samples per round and counts the CPU of the timed calls alone (not the set-up of the Bench, nor the call tinybench makes in add)', async () => {
    let calls = 0;
    const rounds = 3;
    const task = (): void => {
      calls++;
      spin(15);
    };
    const res = await interleavedRounds([{ name: 'spin', iterations: 3, fn: task }], rounds);
    assert.equal(res.wall.get('spin')!.length, rounds);
    for (const samples of res.wall.get('spin')!) assert.equal(samples.length, 3);
    assert.ok(calls >= rounds * 3, `${calls} calls`);
    // The same calls timed directly: a VM's steal time lowers CPU against wall for both alike,
    // so the ratio is near 1; counting the set-up and the extra call too read 1.3–1.6.
    const c0 = cpuMs();
    for (let i = 0; i < 8; i++) task();
    const direct = (cpuMs() - c0) / 8;
    const harness = cpuMedianOf(res.cpu, 'spin');
    assert.ok(harness > 0.8 * direct && harness < 1.2 * direct, `CPU per call: ${harness.toFixed(1)} ms in the rounds, ${direct.toFixed(1)} ms timed directly`);
  });
});
