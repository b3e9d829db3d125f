import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { ValueError } from '../../../src/core/errors.js';
import { decodePng, encodePng } from '../../../src/node/png.js';
import { pickGridSteps, reportPaths, setLive, writeRunReport } from '../../../src/node/report/write_report.js';
import { tempDir } from '../../helpers/temp_dir.js';

function runDir(): string {
  const dir = tempDir('report');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ preset: 'gaussians-8', steps: 50 }));
  const lines = [1, 2, 3].map((s) => JSON.stringify({ step: 25 * s, time: s, d_loss: 1 / s, g_loss: s, grad_norm_d: 1, grad_norm_g: 2 }));
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n${JSON.stringify({ step: 50, eval: { modesCovered: 7, modes: 8 } })}\n`);
  mkdirSync(join(dir, 'samples'));
  for (const s of [25, 50]) writeFileSync(join(dir, 'samples', `step_${String(s).padStart(6, '0')}.png`), encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4).fill(s) }));
  return dir;
}

describe('writeRunReport', () => {
  it('writes index.html, curves.svg and a PNG of the curves', async () => {
    const dir = runDir();
    const r = await writeRunReport(dir);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const svg = readFileSync(reportPaths(dir).svg, 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /losses/);
    const png = decodePng(new Uint8Array(readFileSync(reportPaths(dir).png)));
    assert.ok(E.isRight(png));
    assert.ok(png.right.width > 400 && png.right.height > 300, `${png.right.width}×${png.right.height}`);
    const html = readFileSync(reportPaths(dir).html, 'utf8');
    assert.ok(html.includes(svg.slice(0, 200)));
    assert.equal((html.match(/data:image\/png;base64,/g) ?? []).length, 2);
  });

  it('refreshes while the live marker exists, and not once it is cleared', async () => {
    const dir = runDir();
    assert.ok(E.isRight(await setLive(dir, true)));
    await writeRunReport(dir);
    assert.match(readFileSync(reportPaths(dir).html, 'utf8'), /http-equiv="refresh"/);
    assert.ok(E.isRight(await setLive(dir, false)));
    assert.equal(existsSync(reportPaths(dir).live), false);
    await writeRunReport(dir);
    assert.doesNotMatch(readFileSync(reportPaths(dir).html, 'utf8'), /http-equiv="refresh"/);
  });

  it('refuses a directory without a run with a ValueError', async () => {
    const r = await writeRunReport(tempDir('report'));
    assert.ok(E.isLeft(r) && r.left instanceof ValueError);
  });
});

describe('pickGridSteps', () => {
  it('shows the latest grid and up to five earlier ones spread over the run, newest first', () => {
    assert.deepEqual(pickGridSteps([]), []);
    assert.deepEqual(pickGridSteps([250, 500, 750]), [750, 500, 250]);
    assert.deepEqual(pickGridSteps(Array.from({ length: 12 }, (_, i) => 100 * (i + 1))), [1200, 1100, 900, 600, 400, 100]);
  });
});
