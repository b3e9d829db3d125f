import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reportHtml, type ReportInput } from '../../../src/node/report/report_html.js';

const input = (over: Partial<ReportInput> = {}): ReportInput => ({
  name: 'run-1',
  config: { preset: 'mnist-dcgan', note: '<script>' },
  records: [
    { step: 25, time: 1, d_loss: 1.2, g_loss: 0.8 },
    { step: 25, eval: { n: 2000, frechetDistance: 66, fdFloor: 6.5, classesCovered: 9 } },
    { step: 25, warning: { kind: 'grad-vanishing', subject: 'grad_norm_g', message: 'gradient norm vanishing' } },
  ],
  curvesSvg: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>curves</text></svg>',
  grids: [
    { step: 50, png: Uint8Array.of(1, 2, 3) },
    { step: 25, png: Uint8Array.of(4, 5) },
  ],
  live: true,
  generated: '2026-12-01T00:00:00Z',
  ...over,
});

describe('reportHtml', () => {
  it('refreshes itself while live and not after', () => {
    assert.match(reportHtml(input()), /<meta http-equiv="refresh" content="30">/);
    assert.doesNotMatch(reportHtml(input({ live: false })), /http-equiv="refresh"/);
  });

  it('is self-contained: the curves inlined, the grids as data: URIs, no script and no external URL', () => {
    const html = reportHtml(input());
    assert.match(html, /<svg xmlns="http:\/\/www.w3.org\/2000\/svg"><text>curves<\/text><\/svg>/);
    assert.doesNotMatch(html, /<\?xml/);
    assert.ok(html.includes(`src="data:image/png;base64,${Buffer.from([1, 2, 3]).toString('base64')}"`));
    assert.ok(html.includes(`src="data:image/png;base64,${Buffer.from([4, 5]).toString('base64')}"`));
    assert.doesNotMatch(html, /<script|<link|src="http/);
  });

  it('shows the evaluation table with FD ÷ floor, the warnings and the escaped config', () => {
    const html = reportHtml(input());
    assert.match(html, /<th>FD ÷ floor<\/th>/);
    assert.match(html, /<td>10.15<\/td>/);
    assert.match(html, /step 25: gradient norm vanishing/);
    assert.match(html, /&lt;script&gt;/);
  });
});
