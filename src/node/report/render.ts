import { ValueError } from '../../core/errors.js';

/**
 * Vega-Lite → SVG → PNG with the optional dependencies `vega`, `vega-lite` and
 * `@resvg/resvg-js` (loaded on first use, so the library core never needs them). A missing
 * one is a ValueError naming what to install.
 */

type VegaModule = { View: new (runtime: unknown, opts: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void }; parse(spec: unknown): unknown };
type VegaLiteModule = { compile(spec: unknown): { spec: unknown } };
type ResvgModule = { Resvg: new (svg: string, opts: unknown) => { render(): { asPng(): Uint8Array } } };

/** Imports an optional package, or throws a ValueError naming the packages to install. */
export async function importOptional<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (e) {
    throw new ValueError(
      `the run report needs the optional dependency ${name}, which is not installed (${(e as Error).message.split('\n')[0]}); install it with: npm install vega vega-lite @resvg/resvg-js`,
    );
  }
}

/** A Vega-Lite spec rendered to an SVG document (text measured without a canvas). */
export async function vegaLiteToSvg(spec: unknown): Promise<string> {
  const vega = await importOptional<VegaModule>('vega');
  const vl = await importOptional<VegaLiteModule>('vega-lite');
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** An SVG document rasterised to PNG bytes at `scale` (default 2) with resvg, using the system fonts. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await importOptional<ResvgModule>('@resvg/resvg-js');
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
