import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../../src/core/errors.js';
import { importOptional, svgToPng, vegaLiteToSvg } from '../../../src/node/report/render.js';

describe('render', () => {
  it('names the optional packages to install when one is missing', async () => {
    await assert.rejects(importOptional('puregan-no-such-package'), (e: unknown) => e instanceof ValueError && /npm install vega vega-lite @resvg\/resvg-js/.test(e.message) && /puregan-no-such-package/.test(e.message));
  });

  it('renders a Vega-Lite spec to SVG with its title, and the SVG to a PNG at twice its size', async () => {
    const svg = await vegaLiteToSvg({ title: 'a title', width: 100, height: 50, data: { values: [{ x: 1, y: 2 }, { x: 2, y: 1 }] }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
    assert.match(svg, /^<svg[^>]*width="(\d+)"/);
    assert.match(svg, /a title/);
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    const png = await svgToPng(svg);
    assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    assert.equal(new DataView(png.buffer, png.byteOffset).getUint32(16), 2 * width);
  });
});
