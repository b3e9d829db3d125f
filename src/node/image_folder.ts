import * as E from 'fp-ts/lib/Either.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { IoError, ParseError, type PureganError, type ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { tensor } from '../core/tensor.js';
import type { ImageDataset } from '../data/dataset.js';
import { decodePng, type Image } from './png.js';

/**
 * A directory of PNG images as a dataset, as torchvision's `ImageFolder`: each sub-folder is a
 * class (classes numbered in sorted name order, images found recursively inside it); a folder
 * with no sub-folders is one class of the PNGs it holds. Files that are not `.png` are skipped.
 *
 * Every image must have the same width and height. `channels: 'auto'` (default) gives 1 channel
 * when every image is grey (PNG colour types 0/4, or R = G = B everywhere) and 3 otherwise; 1 or 3
 * forces it (RGB → grey is the mean of R, G, B). Values p/127.5 − 1 in [−1, 1].
 *
 * Problems are collected, not stopped at: a result lists every unreadable or undecodable file
 * and every image of another size (up to 10, then a count), or says that there are no images.
 */
export type ImageFolderOptions = Readonly<{ channels?: 1 | 3 | 'auto' }>;
export type ImageFolderDataset = ImageDataset & Readonly<{ classNames: readonly string[]; files: readonly string[] }>;

async function pngsUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await pngsUnder(p)));
    else if (e.isFile() && e.name.toLowerCase().endsWith('.png')) out.push(p);
  }
  return out;
}

export async function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<E.Either<PureganError, ImageFolderDataset>> {
  try {
    checkOptions('loadImageFolder', opts, { channels: true });
  } catch (e) {
    return E.left(e as ValueError);
  }
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3 && opts.channels !== 'auto') {
    return E.left(new ParseError(`loadImageFolder: channels must be 1, 3 or "auto", got ${JSON.stringify(opts.channels)}`));
  }
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    return E.left(new IoError(`cannot read the image folder ${dir}: ${(e as Error).message}`));
  }
  const classDirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const groups: { name: string; files: string[] }[] = [];
  try {
    if (classDirs.length === 0) groups.push({ name: path.basename(path.resolve(dir)), files: await pngsUnder(dir) });
    else for (const name of classDirs) groups.push({ name, files: await pngsUnder(path.join(dir, name)) });
  } catch (e) {
    return E.left(new IoError(`cannot list the image folder ${dir}: ${(e as Error).message}`));
  }
  const files = groups.flatMap((g) => g.files);
  if (files.length === 0) {
    return E.left(new ParseError(`no PNG images in ${dir}${classDirs.length > 0 ? ` (looked in its sub-folders ${classDirs.slice(0, 5).join(', ')}${classDirs.length > 5 ? ', ...' : ''})` : ''}`));
  }
  const empty = groups.filter((g) => g.files.length === 0).map((g) => g.name);
  const problems: string[] = empty.length > 0 ? [`class folder${empty.length > 1 ? 's' : ''} ${empty.join(', ')} hold${empty.length > 1 ? '' : 's'} no PNG images`] : [];
  const images: (Image | undefined)[] = [];
  for (const f of files) {
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(f);
    } catch (e) {
      problems.push(`cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      images.push(undefined);
      continue;
    }
    const img = decodePng(bytes, f);
    if (E.isLeft(img)) problems.push(img.left.message);
    images.push(E.isRight(img) ? img.right : undefined);
  }
  const first = images.find((i): i is Image => i !== undefined);
  if (first) {
    images.forEach((img, i) => {
      if (img && (img.width !== first.width || img.height !== first.height)) {
        problems.push(`${files[i]} is ${img.width}×${img.height} but ${files[images.indexOf(first)]} is ${first.width}×${first.height} (all images must have one size)`);
      }
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    return E.left(new ParseError(`image folder ${dir}: ${shown}${problems.length > 10 ? `; and ${problems.length - 10} more problems` : ''}`));
  }
  const decoded = images as Image[];
  const grey = (img: Image): boolean => img.channels === 1 || img.data.every((_, i) => i % 3 !== 0 || (img.data[i] === img.data[i + 1] && img.data[i] === img.data[i + 2]));
  const want = opts.channels ?? 'auto';
  const channels = want === 'auto' ? (decoded.every(grey) ? 1 : 3) : want;
  const { width, height } = decoded[0]!;
  const hw = width * height;
  const out = new Float32Array(decoded.length * channels * hw);
  decoded.forEach((img, n) => {
    for (let p = 0; p < hw; p++) {
      for (let c = 0; c < channels; c++) {
        const v =
          img.channels === channels
            ? img.data[p * channels + c]!
            : img.channels === 1
              ? img.data[p]!
              : (img.data[3 * p]! + img.data[3 * p + 1]! + img.data[3 * p + 2]!) / 3;
        out[(n * channels + c) * hw + p] = v / 127.5 - 1;
      }
    }
  });
  const labels = Float32Array.from(groups.flatMap((g, c) => g.files.map(() => c)));
  return E.right(
    Object.freeze({
      images: tensor([decoded.length, channels, height, width], out),
      labels: tensor([decoded.length], labels),
      classes: groups.length,
      classNames: Object.freeze(groups.map((g) => g.name)),
      files: Object.freeze(files),
    }),
  );
}
