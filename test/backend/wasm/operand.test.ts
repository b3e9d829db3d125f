/**
 * The GEMM operand views: each constructor addresses the elements its doc comment names,
 * checked against index formulas written out independently of `elementOffset`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { channelRows, dense, dropRows, elementOffset, type MatrixOperand } from '../../../src/backend/wasm/operand.js';

const size = fc.integer({ min: 1, max: 12 });

describe('GEMM operand views', () => {
  it('a channel-rows view of x [N, C, P] puts x[n, c, p] at element (c, n·P + p)', () => {
    fc.assert(
      fc.property(size, size, size, (n, c, p) => {
        const view = channelRows(0, { channels: c, pixels: p });
        for (let img = 0; img < n; img++)
          for (let ch = 0; ch < c; ch++)
            for (let px = 0; px < p; px++) assert.equal(elementOffset(view, ch, img * p + px), (img * c + ch) * p + px, `x[${img}, ${ch}, ${px}]`);
      }),
    );
  });

  it('a dense view addresses a row-major [rows, cols] matrix, and transposed a stored [cols, rows] one', () => {
    fc.assert(
      fc.property(size, size, (rows, cols) => {
        const plain = dense(0, rows, cols);
        const trans = dense(0, rows, cols, true);
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < cols; j++) {
            assert.equal(elementOffset(plain, i, j), i * cols + j);
            assert.equal(elementOffset(trans, i, j), j * rows + i);
          }
      }),
    );
  });

  it('dropping s rows gives a view whose element (i, j) is the float at element (i + s, j) of the original', () => {
    const views = fc.oneof(
      fc.tuple(size, size, fc.boolean()).map(([r, c, t]) => ({ view: dense(64, r + 12, c, t), cols: c })),
      fc.tuple(size, size, size).map(([c, p, n]) => ({ view: channelRows(64, { channels: c + 12, pixels: p }), cols: n * p })),
    );
    fc.assert(
      fc.property(views, fc.integer({ min: 0, max: 12 }), ({ view, cols }: { view: MatrixOperand; cols: number }, s) => {
        const moved = dropRows(view, s);
        for (let i = 0; i + s < 12; i++)
          for (let j = 0; j < cols; j++) {
            assert.equal(moved.ptr + 4 * elementOffset(moved, i, j), view.ptr + 4 * elementOffset(view, i + s, j), `(${i}, ${j})`);
          }
      }),
    );
  });
});
