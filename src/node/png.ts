import * as E from 'fp-ts/lib/Either.js';
import { PNG } from 'pngjs';
import { IoError, ParseError, ShapeError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import type { Tensor } from '../core/tensor.js';
import { atomicWriteFile } from './atomic_write.js';

/**
 * PNG files (through `pngjs`, pure JavaScript, no native build) and sample grids.
 *
 * An `Image` is 8-bit, row-major, channels last (`[H, W, C]`), 1 (grey) or 3 (RGB) channels.
 * Tensors are `[C, H, W]` / `[N, C, H, W]` in [−1, 1]; a value v becomes the byte
 * round((v + 1)·127.5) clamped to 0..255, and a byte p becomes p/127.5 − 1.
 */
export type Image = Readonly<{ width: number; height: number; channels: 1 | 3; data: Uint8Array }>;

/** Encodes an image as PNG (colour type 0 for grey, 2 for RGB; 8 bits). */
export function encodePng(image: Image): Uint8Array {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new ShapeError(`an image of ${width}×${height}×${channels} needs ${width * height * channels} bytes, got ${data.length}`);
  }
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    const r = data[i * channels]!;
    png.data[4 * i] = r;
    png.data[4 * i + 1] = channels === 3 ? data[i * 3 + 1]! : r;
    png.data[4 * i + 2] = channels === 3 ? data[i * 3 + 2]! : r;
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png, { colorType: channels === 3 ? 2 : 0 });
}

/**
 * Decodes a PNG of any colour type and bit depth (16-bit is scaled to 8, palettes expanded).
 * Grey PNGs (colour types 0 and 4) give 1 channel, others 3. Transparency is composited over
 * black (a pixel's value times its alpha / 255).
 */
export function decodePng(bytes: Uint8Array, what = 'PNG file'): E.Either<ParseError, Image> {
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    return E.left(new ParseError(`${what} is not a readable PNG (${(e as Error).message})`));
  }
  const { width, height } = png;
  const channels = png.color ? 3 : 1;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    const a = png.data[4 * i + 3]!;
    for (let c = 0; c < channels; c++) {
      const v = png.data[4 * i + c]!;
      data[i * channels + c] = a === 255 ? v : Math.round((v * a) / 255);
    }
  }
  return E.right(Object.freeze({ width, height, channels, data }));
}

const toByte = (v: number): number => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));

export type GridOptions = Readonly<{
  /** Images per row (default ⌈√N⌉). */
  columns?: number;
  /** Pixels between and around the images (default 2, as torchvision's make_grid). */
  padding?: number;
  /** Value of the padding in [−1, 1] (default −1, black, as make_grid's pad_value 0). */
  padValue?: number;
}>;

/**
 * A grid of images `x: [N, C, H, W]` in [−1, 1] (C = 1 or 3) as one image, laid out as
 * torchvision's `make_grid`: image i at column i mod columns, row ⌊i / columns⌋, each cell
 * (H + padding) × (W + padding) plus a border of `padding`.
 */
export function sampleGrid(x: Tensor, opts: GridOptions = {}): Image {
  checkOptions('sampleGrid', opts, { columns: true, padding: true, padValue: true });
  if (x.shape.length !== 4 || (x.shape[1] !== 1 && x.shape[1] !== 3) || x.shape[0] === 0) {
    throw new ShapeError('a sample grid needs images [N, C, H, W] with N ≥ 1 and C = 1 or 3', { x: x.shape });
  }
  const [n, c, h, w] = x.shape as [number, 1 | 3, number, number];
  const columns = opts.columns ?? Math.ceil(Math.sqrt(n));
  const pad = opts.padding ?? 2;
  if (!Number.isSafeInteger(columns) || columns < 1) throw new ShapeError(`columns must be a positive integer, got ${columns}`);
  if (!Number.isSafeInteger(pad) || pad < 0) throw new ShapeError(`padding must be a non-negative integer, got ${pad}`);
  const rows = Math.ceil(n / columns);
  const width = columns * (w + pad) + pad;
  const height = rows * (h + pad) + pad;
  const data = new Uint8Array(width * height * c).fill(toByte(opts.padValue ?? -1));
  for (let i = 0; i < n; i++) {
    const x0 = pad + (i % columns) * (w + pad);
    const y0 = pad + Math.floor(i / columns) * (h + pad);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          data[((y0 + y) * width + x0 + xx) * c + ch] = toByte(x.data[((i * c + ch) * h + y) * w + xx]!);
        }
      }
    }
  }
  return Object.freeze({ width, height, channels: c, data });
}

/** Writes `sampleGrid(x, opts)` as a PNG, atomically. */
export async function writeSampleGrid(path: string, x: Tensor, opts: GridOptions = {}): Promise<E.Either<IoError, void>> {
  return atomicWriteFile(path, encodePng(sampleGrid(x, opts)));
}
