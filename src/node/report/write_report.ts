import * as E from 'fp-ts/lib/Either.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { IoError, PureganError, ValueError } from '../../core/errors.js';
import { atomicWriteFile } from '../atomic_write.js';
import { readMetricsLog, readRunConfig, runPaths } from '../run_dir.js';
import { curveSpec, type MetricsRecord } from './curve_specs.js';
import { svgToPng, vegaLiteToSvg } from './render.js';
import { reportHtml, type ReportGrid } from './report_html.js';

/**
 * The run report's files in a run directory:
 *
 *     index.html    the report (report_html.ts), self-contained
 *     curves.svg    the learning curves (Vega-Lite → SVG)
 *     curves.png    the same, rasterised (resvg, 2× scale)
 *     live          present while `puregan train` runs: the report then reloads itself
 */
export const reportPaths = (dir: string) =>
  Object.freeze({
    html: path.join(dir, 'index.html'),
    svg: path.join(dir, 'curves.svg'),
    png: path.join(dir, 'curves.png'),
    live: path.join(dir, 'live'),
  });

/** Earlier grids shown besides the latest. */
const EARLIER_GRIDS = 5;

const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Marks the run live (the report reloads itself) or not. */
export async function setLive(dir: string, live: boolean): Promise<E.Either<IoError, void>> {
  const file = reportPaths(dir).live;
  try {
    if (live) await fs.writeFile(file, `${process.pid}\n`);
    else await fs.rm(file, { force: true });
    return E.right(undefined);
  } catch (e) {
    return E.left(new IoError(`cannot ${live ? 'write' : 'remove'} ${file}: ${(e as Error).message}`));
  }
}

/** The steps of samples/step_XXXXXX.png: the latest, then up to `EARLIER_GRIDS` earlier ones spread evenly, newest first. */
export function pickGridSteps(steps: readonly number[]): number[] {
  const sorted = [...steps].sort((a, b) => a - b);
  const latest = sorted.pop();
  if (latest === undefined) return [];
  if (sorted.length <= EARLIER_GRIDS) return [latest, ...sorted.reverse()];
  const picked = new Set<number>();
  for (let i = 0; i < EARLIER_GRIDS; i++) picked.add(sorted[Math.round((i * (sorted.length - 1)) / (EARLIER_GRIDS - 1))]!);
  return [latest, ...[...picked].sort((a, b) => b - a)];
}

async function readGrids(dir: string): Promise<ReportGrid[]> {
  let names: string[];
  try {
    names = await fs.readdir(runPaths(dir).samples);
  } catch {
    return [];
  }
  const steps = names.flatMap((n) => {
    const m = /^step_(\d+)\.png$/.exec(n);
    return m ? [Number(m[1])] : [];
  });
  return Promise.all(pickGridSteps(steps).map(async (step) => ({ step, png: new Uint8Array(await fs.readFile(runPaths(dir).sample(step))) })));
}

export type WrittenReport = Readonly<{ html: string; svg: string; png: string }>;

/**
 * (Re)builds the report of run directory `dir` from its config.json, metrics.jsonl and sample
 * grids; each file is written atomically. `live` defaults to whether the `live` marker exists.
 * Left: an IoError for an unreadable run, a ValueError naming the optional package to install
 * when vega, vega-lite or @resvg/resvg-js is missing.
 */
export async function writeRunReport(dir: string, opts: Readonly<{ live?: boolean }> = {}): Promise<E.Either<PureganError, WrittenReport>> {
  const config = await readRunConfig(dir);
  if (E.isLeft(config)) return config;
  if (config.right === undefined) return E.left(new ValueError(`${dir} holds no run (no config.json)`));
  const log = await readMetricsLog(dir);
  let records: MetricsRecord[] = [];
  if (E.isRight(log)) records = log.right;
  else if (!(log.left instanceof IoError)) return log;
  const paths = reportPaths(dir);
  const live = opts.live ?? (await fs.stat(paths.live).then(() => true, () => false));
  const name = path.basename(path.resolve(dir));
  let svg: string;
  let png: Uint8Array;
  try {
    svg = await vegaLiteToSvg(curveSpec(records, `${config.right.preset}: ${name}`));
    png = await svgToPng(svg);
  } catch (e) {
    if (e instanceof PureganError) return E.left(e);
    throw e;
  }
  const html = reportHtml({ name, config: config.right, records, curvesSvg: svg, grids: await readGrids(dir), live, generated: new Date().toISOString() });
  for (const [file, bytes] of [[paths.svg, encode(svg)], [paths.png, png], [paths.html, encode(html)]] as const) {
    const w = await atomicWriteFile(file, bytes);
    if (E.isLeft(w)) return w;
  }
  return E.right({ html: paths.html, svg: paths.svg, png: paths.png });
}
