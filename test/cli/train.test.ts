/**
 * `puregan train` (and eval / sample / export on its run directories) as a user meets it: child
 * processes on a tiny 2-D config (an 8-unit MLP G with batch norm, a spectrally normalised D,
 * nDis = 2, learning-rate schedules, an EMA of G and a replay buffer) on the reference backend,
 * so each run takes a moment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { decodePng } from '../../src/node/png.js';
import { loadCheckpoint } from '../../src/node/checkpoint.js';
import { loadGenerator } from '../../src/train/generator_file.js';
import type { RunState } from '../../src/train/loop.js';
import { bitsOf } from '../helpers/tiny_gan.js';
import { tempDir } from '../helpers/temp_dir.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
const tmp = (): string => tempDir('train');

/**
 * The tiny run: gaussians-8 data, 2-D latents, small networks with BN in G and SN in D, nDis 2, batch 16;
 * G's learning rate decays linearly over 6 of its updates, D's is a warm-up then cosine decay
 * over 10 of its updates (2 per step); EMA from step 2; a replay buffer of 24 fakes.
 */
const TINY = {
  data: { source: 'gaussians', mixture: 'ring8', samples: 128 },
  latent: { dim: 2, prior: 'normal' },
  generator: [
    { type: 'linear', in: 2, out: 8 },
    { type: 'batch_norm', features: 8 },
    { type: 'relu' },
    { type: 'linear', in: 8, out: 2 },
  ],
  discriminator: [
    { type: 'linear', in: 2, out: 8, spectral_norm: true },
    { type: 'leaky_relu', slope: 0.2 },
    { type: 'linear', in: 8, out: 1, spectral_norm: true },
  ],
  loss: 'hinge',
  nDis: 2,
  optimizers: {
    g: { name: 'adam', lr: { schedule: 'linear', init: 2e-3, end: 2e-4, transitionSteps: 6 }, b1: 0.5, b2: 0.999 },
    d: { name: 'adam', lr: { schedule: 'warmup_cosine', init: 0, peak: 2e-3, warmupSteps: 4, decaySteps: 10 }, b1: 0.5, b2: 0.999 },
  },
  ema: { decay: 0.9, start: 2 },
  replay: { capacity: 24, fraction: 0.5 },
  batchSize: 16,
  samples: 64,
  every: { log: 1, eval: 0, sample: 0, checkpoint: 0 },
};

function tinyConfigFile(dir: string, extra: object = {}): string {
  const file = join(dir, 'tiny.json');
  writeFileSync(file, JSON.stringify({ ...TINY, ...extra }));
  return file;
}

const base = (config: string, out: string, ...more: string[]) => ['train', '--preset', 'gaussians-8', '--config', config, '--out', out, '--backend', 'reference', ...more];

/** The newest checkpoint's sidecar of a run: { step, sha256, ... } (equal sha256 ⇔ equal bytes of the whole state). */
function newestCheckpoint(out: string): { step: number; sha256: string } {
  const dir = join(out, 'checkpoints');
  const sidecars = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  return JSON.parse(readFileSync(join(dir, sidecars[sidecars.length - 1]!), 'utf8')) as { step: number; sha256: string };
}

/** One line on stderr, exit code `code`; returns the line. */
function oneErrorLine(r: ReturnType<typeof run>, code: number): string {
  assert.equal(r.status, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  return lines[0]!;
}

describe('puregan train', () => {
  it('writes config.json, metrics.jsonl (one line per step), a sample PNG and a checkpoint, and says where they are', () => {
    const dir = tmp();
    const out = join(dir, 'run');
    const r = run(...base(tinyConfigFile(dir), out, '--steps', '6', '--sample-every', '3'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /samples: .*step_000006\.png/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.steps, 6);
    assert.equal(config.nDis, 2);
    assert.equal(config.loss, 'hinge');
    assert.deepEqual(config.optimizers, TINY.optimizers, 'the schedules, as given, in the resolved config');
    assert.deepEqual([config.ema, config.replay], [TINY.ema, TINY.replay]);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { step: number; d_loss: number });
    assert.deepEqual(lines.map((l) => l.step), [1, 2, 3, 4, 5, 6]);
    assert.ok(lines.every((l) => Number.isFinite(l.d_loss)));
    for (const s of ['step_000003.png', 'step_000006.png']) {
      const png = decodePng(readFileSync(join(out, 'samples', s)));
      assert.ok(E.isRight(png) && png.right.width === 256, s);
    }
    assert.equal(newestCheckpoint(out).step, 6);
  });

  it('prints plain log lines when stdout is not a TTY, and nothing with --quiet', () => {
    const dir = tmp();
    const cfg = tinyConfigFile(dir);
    const loud = run(...base(cfg, join(dir, 'a'), '--steps', '2'));
    assert.match(loud.stdout, /^step 1\/2 .* it\/s .*ETA .*d_loss /m);
    const quiet = run(...base(cfg, join(dir, 'b'), '--steps', '2', '--quiet'));
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.equal(quiet.stdout, '');
  });

  it('stopped after N steps and resumed with --resume --steps 2N ends in the uninterrupted run\'s state (schedules, EMA and replay included), bit for bit', () => {
    const dir = tmp();
    const cfg = tinyConfigFile(dir);
    const whole = run(...base(cfg, join(dir, 'whole'), '--steps', '8'));
    assert.equal(whole.status, 0, whole.stderr);
    const half = join(dir, 'half');
    assert.equal(run(...base(cfg, half, '--steps', '4')).status, 0);
    const rest = run('train', '--out', half, '--resume', '--steps', '8', '--backend', 'reference');
    assert.equal(rest.status, 0, rest.stderr);
    assert.deepEqual(newestCheckpoint(half), newestCheckpoint(join(dir, 'whole')));
    const steps = readFileSync(join(half, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('on SIGINT writes a checkpoint and exits with 130; resumed, it ends in the uninterrupted run\'s state bit for bit', async () => {
    const dir = tmp();
    const cfg = tinyConfigFile(dir);
    const steps = '60';
    assert.equal(run(...base(cfg, join(dir, 'whole'), '--steps', steps)).status, 0);
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [cli, ...base(cfg, out, '--steps', steps)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/^step 5\//m.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130, stdout);
    assert.match(stdout, /interrupted at step (\d+): checkpoint written/);
    const stoppedAt = newestCheckpoint(out).step;
    assert.ok(stoppedAt >= 5 && stoppedAt < 60, `stopped at ${stoppedAt}`);
    const rest = run('train', '--out', out, '--resume', '--steps', steps, '--backend', 'reference');
    assert.equal(rest.status, 0, rest.stderr);
    assert.deepEqual(newestCheckpoint(out), newestCheckpoint(join(dir, 'whole')));
  });

  it('--eager runs the step op by op: on the reference backend (no compiler: jit runs the traced graph op by op) it ends in the jitted run\'s state bit for bit', () => {
    const dir = tmp();
    const cfg = tinyConfigFile(dir);
    assert.equal(run(...base(cfg, join(dir, 'jit'), '--steps', '3')).status, 0);
    const eager = run(...base(cfg, join(dir, 'eager'), '--steps', '3', '--eager'));
    assert.equal(eager.status, 0, eager.stderr);
    assert.deepEqual(newestCheckpoint(join(dir, 'eager')), newestCheckpoint(join(dir, 'jit')));
  });

  it('--minutes takes a whole number of minutes from 1', () => {
    const dir = tmp();
    assert.match(oneErrorLine(run(...base(tinyConfigFile(dir), join(dir, 'r'), '--minutes', '0')), 2), /--minutes must be an integer from 1 to 100000, got "0"/);
  });

  it('refuses an output directory that holds another run without --resume, naming what differs, and keeps its checkpoint', () => {
    const dir = tmp();
    const out = join(dir, 'run');
    assert.equal(run(...base(tinyConfigFile(dir), out, '--steps', '2')).status, 0);
    const before = newestCheckpoint(out);
    const line = oneErrorLine(run(...base(tinyConfigFile(dir, { nDis: 1 }), out, '--steps', '2')), 1);
    assert.match(line, /already holds a run of preset "gaussians-8" with another config \(nDis: 2 → 1\); pass --resume/);
    assert.deepEqual(newestCheckpoint(out), before);
  });

  it('refuses to resume with an incompatible config, saying what differs', () => {
    const dir = tmp();
    const out = join(dir, 'run');
    assert.equal(run(...base(tinyConfigFile(dir), out, '--steps', '2')).status, 0);
    const wider = { generator: [{ type: 'linear', in: 2, out: 16 }, { type: 'batch_norm', features: 16 }, { type: 'relu' }, { type: 'linear', in: 16, out: 2 }] };
    const line = oneErrorLine(run(...base(tinyConfigFile(dir, wider), out, '--steps', '4', '--resume')), 1);
    assert.match(line, /cannot resume .*: the config differs from the run's: generator\[0\]\.out: 8 → 16; generator\[1\]\.features: 8 → 16; generator\[3\]\.in: 8 → 16/);
  });

  it('refuses a corrupt checkpoint on --resume with one line, and writes nothing over it', () => {
    const dir = tmp();
    const out = join(dir, 'run');
    assert.equal(run(...base(tinyConfigFile(dir), out, '--steps', '2')).status, 0);
    const ckDir = join(out, 'checkpoints');
    const data = readdirSync(ckDir).find((n) => n.endsWith('.safetensors'))!;
    const bytes = readFileSync(join(ckDir, data));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(join(ckDir, data), bytes);
    const line = oneErrorLine(run('train', '--out', out, '--resume', '--steps', '4', '--backend', 'reference'), 1);
    assert.match(line, /sha256 does not match/);
    assert.deepEqual(readFileSync(join(ckDir, data)), bytes);
  });

  it('lists every problem of a --config file in one line with exit code 2', () => {
    const dir = tmp();
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ nDis: 0, loss: 'nope', lr: 1, generator: [{ type: 'linear', in: 2 }] }));
    const line = oneErrorLine(run('train', '--preset', 'gaussians-8', '--config', cfg, '--out', join(dir, 'x')), 2);
    for (const p of [/config lr: unknown field/, /config nDis: expected an integer >= 1, got 0/, /config loss: expected one of: .*got "nope"/, /config generator\[0\]\.out: missing/]) assert.match(line, p);
    assert.equal(existsSync(join(dir, 'x')), false);
  });

  it('lists every problem of the learning-rate schedules in one line: an unknown schedule, negative and fractional steps, an unknown field', () => {
    const dir = tmp();
    const cfg = tinyConfigFile(dir, {
      optimizers: {
        g: { name: 'adam', lr: { schedule: 'cosin', init: 1e-3 } },
        d: { name: 'adam', lr: { schedule: 'linear', init: 1e-3, end: 0, transitionSteps: -5, transitionBegin: 1.5, warmup: 3 } },
      },
    });
    const line = oneErrorLine(run(...base(cfg, join(dir, 'x'), '--steps', '2')), 2);
    for (const p of [
      /config optimizers\.g\.lr\.schedule: unknown schedule "cosin"; expected one of: constant, linear, /,
      /config optimizers\.d\.lr\.transitionSteps: expected an integer >= 1 \(steps\), got -5/,
      /config optimizers\.d\.lr\.transitionBegin: expected an integer >= 0 \(steps\), got 1\.5/,
      /config optimizers\.d\.lr\.warmup: unknown field of the linear schedule/,
    ]) {
      assert.match(line, p);
    }
    assert.equal(existsSync(join(dir, 'x')), false);
  });

  it('refuses to resume with another learning-rate schedule, naming the field', () => {
    const dir = tmp();
    const out = join(dir, 'run');
    assert.equal(run(...base(tinyConfigFile(dir), out, '--steps', '2')).status, 0);
    const other = { optimizers: { ...TINY.optimizers, g: { ...TINY.optimizers.g, lr: { ...TINY.optimizers.g.lr, end: 0 } } } };
    const line = oneErrorLine(run(...base(tinyConfigFile(dir, other), out, '--steps', '4', '--resume')), 1);
    assert.match(line, /cannot resume .*optimizers\.g\.lr\.end: 0\.0002 → 0/);
  });

  it('reports a missing or non-JSON --config file in one line', () => {
    const dir = tmp();
    assert.match(oneErrorLine(run('train', '--preset', 'gaussians-8', '--config', join(dir, 'none.json')), 1), /cannot read --config/);
    writeFileSync(join(dir, 'broken.json'), '{ "steps": ');
    assert.match(oneErrorLine(run('train', '--preset', 'gaussians-8', '--config', join(dir, 'broken.json')), 2), /is not valid JSON/);
  });

  it('--list-presets prints each preset with its description', () => {
    const r = run('train', '--list-presets');
    assert.equal(r.status, 0);
    for (const name of ['gaussians-8', 'gaussians-25', 'gaussians-100', 'mnist-dcgan', 'mnist-sngan', 'mnist-wgan-gp', 'mnist-acgan', 'mnist-infogan']) assert.match(r.stdout, new RegExp(`^${name} +\\S`, 'm'));
  });
});

describe('puregan eval / sample / export', () => {
  const dir = tmp();
  const out = join(dir, 'run');
  const trained = run(...base(tinyConfigFile(dir, { every: { log: 2, eval: 2, sample: 0, checkpoint: 0 } }), out, '--steps', '4'));

  it('eval --json prints the last logged step and evaluation', () => {
    assert.equal(trained.status, 0, trained.stderr);
    const r = run('eval', '--run', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { step: number; metrics: Record<string, number>; eval: { step: number; modes: number } };
    const last = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.eval === undefined).pop()!;
    assert.equal(j.step, 4);
    assert.equal(j.metrics.d_loss, last.d_loss);
    assert.deepEqual([j.eval.step, j.eval.modes], [4, 8]);
  });

  it('sample writes a PNG, and with --interpolate one walk per row', () => {
    const png = join(dir, 'walk.png');
    const r = run('sample', '--run', out, '--n', '16', '--interpolate', '5', '--out', png, '--backend', 'reference');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /10 samples from step 4/);
    assert.ok(E.isRight(decodePng(readFileSync(png))));
  });

  it('export writes the EMA generator alone, and loadGenerator rebuilds it from the bytes', async () => {
    const file = join(dir, 'G.safetensors');
    const r = run('export', '--run', out, '--out', file);
    assert.equal(r.status, 0, r.stderr);
    const g = loadGenerator(new Uint8Array(readFileSync(file)));
    assert.ok(E.isRight(g), E.isLeft(g) ? g.left.message : '');
    assert.equal(g.right.step, 4);
    assert.equal(g.right.ema, true);
    assert.deepEqual(g.right.latent, { dim: 2, prior: 'normal' });
    const ck = await loadCheckpoint({ dir: join(out, 'checkpoints') });
    assert.ok(E.isRight(ck));
    const train = (ck.right.tree as RunState).train;
    assert.deepEqual(bitsOf(g.right.params), bitsOf(train.ema!.params));
    assert.notDeepEqual(bitsOf(g.right.params), bitsOf(train.g.params));
  });

  it('eval, sample and export of a directory without a run fail with one line', () => {
    for (const args of [['eval', '--run', dir], ['sample', '--run', dir], ['export', '--run', dir, '--out', join(dir, 'g.st')]]) {
      assert.match(oneErrorLine(run(...args), 1), /no run|cannot read/);
    }
  });

  /** `train --preset NAME --steps N --batch 8` on the digits; the last metrics line. */
  function trainDigits(preset: string, steps: number): Record<string, number> {
    const out = join(tmp(), 'run');
    const r = run('train', '--preset', preset, '--out', out, '--backend', 'reference', '--steps', String(steps), '--batch', '8', '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const last = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').pop()!) as Record<string, number>;
    assert.equal(last.step, steps);
    return last;
  }

  it('trains mnist-acgan on the digits with their labels: the ACGAN terms are logged', () => {
    const last = trainDigits('mnist-acgan', 2);
    for (const k of ['acgan_d', 'acgan_g', 'acgan_acc_real', 'acgan_acc_fake']) assert.ok(Number.isFinite(last[k]), `${k} in ${JSON.stringify(last)}`);
  });

  it('trains mnist-infogan on the digits: the mutual-information terms of D (with Q) and G are logged', () => {
    const last = trainDigits('mnist-infogan', 1);
    for (const k of ['info_d', 'info_g']) assert.ok(Number.isFinite(last[k]) && last[k]! > 0, `${k} in ${JSON.stringify(last)}`);
  });
});

describe('puregan report and --which', () => {
  const dir = tmp();
  const out = join(dir, 'run');
  const trained = run(...base(tinyConfigFile(dir, { every: { log: 1, eval: 2, sample: 2, checkpoint: 0 } }), out, '--steps', '4', '--quiet'));

  it('train leaves a finished report (no live marker, no refresh); report --run rebuilds it', () => {
    assert.equal(trained.status, 0, trained.stderr);
    assert.equal(existsSync(join(out, 'live')), false);
    assert.doesNotMatch(readFileSync(join(out, 'index.html'), 'utf8'), /http-equiv="refresh"/);
    const r = run('report', '--run', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /index\.html/);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.equal((html.match(/data:image\/png;base64,/g) ?? []).length, 2);
    assert.ok(existsSync(join(out, 'curves.png')));
  });

  it('sample and eval --which best of a run without a best checkpoint fail with one line saying so', () => {
    for (const args of [['sample', '--run', out, '--which', 'best'], ['eval', '--run', out, '--which', 'best']]) {
      assert.match(oneErrorLine(run(...args), 1), /no best checkpoint/);
    }
  });

  it('--which accepts only best or latest, and report needs --run', () => {
    assert.match(oneErrorLine(run('sample', '--run', out, '--which', 'newest'), 2), /--which: expected best or latest/);
    assert.match(oneErrorLine(run('report'), 2), /--run DIR is required/);
  });
});
