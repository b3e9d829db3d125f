#!/usr/bin/env node
/**
 * Browser smoke check of the wasm backend (not part of `npm test`: it needs a browser).
 * Serves the built package from 127.0.0.1, loads `dist/src/backend/wasm/index.js` in headless
 * Chromium (the `fetch` path of the loader), checks GEMM and conv2d against the reference
 * backend for both builds and prints GEMM 256³ GFLOP/s with fresh results and with `out=`.
 *
 *   apt-get install chromium && npm install --no-save playwright-core
 *   npm run build && node scripts/browser-smoke.mjs [--executable /usr/bin/chromium]
 *
 * Exit code 1 if a result disagrees with the reference backend.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({ options: { executable: { type: 'string', default: '/usr/bin/chromium' } } });
const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.error('browser-smoke: playwright-core is not installed (npm install --no-save playwright-core)');
  process.exit(2);
}
if (!fs.existsSync(values.executable)) {
  console.error(`browser-smoke: no browser at ${values.executable} (apt-get install chromium, or pass --executable)`);
  process.exit(2);
}

const page = `<!doctype html>
<script type="importmap">{"imports":{"@assemblyscript/loader":"/node_modules/@assemblyscript/loader/index.js"}}</script>
<script type="module">
import { loadWasmBackend } from '/dist/src/backend/wasm/index.js';
import { referenceBackend as R } from '/dist/src/backend/reference.js';
import { convGeometry } from '/dist/src/backend/geometry.js';
const out = {};
try {
  for (const variant of ['auto', 'simd']) {
    const W = await loadWasmBackend({ variant });
    const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + s));
    const err = (p, q) => Math.max(...p.map((v, i) => Math.abs(v - q[i])));
    const a = rnd(65 * 33, 1), b = rnd(33 * 17, 2), s = { m: 65, n: 17, k: 33, transA: false, transB: true };
    const g = convGeometry([2, 3, 9, 9], [4, 3, 3, 3], { stride: 2, padding: 1 });
    const x = rnd(2 * 3 * 81, 3), w = rnd(4 * 27, 4), dy = rnd(2 * 4 * 25, 5);
    const n = 256, A = rnd(n * n, 6), B = rnd(n * n, 7), O = new Float32Array(n * n), spec = { m: n, n, k: n, transA: false, transB: false };
    const rate = (o) => { for (let i = 0; i < 30; i++) W.gemm(A, B, spec, o); const t0 = performance.now(); for (let i = 0; i < 30; i++) W.gemm(A, B, spec, o); return 2 * n ** 3 / ((performance.now() - t0) / 30) / 1e6; };
    out[variant] = {
      backend: W.description,
      gemmMaxErr: err(W.gemm(a, b, s), R.gemm(a, b, s)),
      convMaxErr: Math.max(err(W.conv2d(x, w, g), R.conv2d(x, w, g)), err(W.conv2dGradInput(dy, w, g), R.conv2dGradInput(dy, w, g)), err(W.conv2dGradWeight(x, dy, g), R.conv2dGradWeight(x, dy, g))),
      gemm256FreshGflops: +rate(undefined).toFixed(1),
      gemm256OutGflops: +rate(O).toFixed(1),
    };
  }
} catch (e) { out.error = String((e && e.stack) || e); }
window.__result = out;
</script>`;

const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
    return;
  }
  const file = path.join(root, decodeURIComponent(url.pathname));
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: values.executable, args: ['--no-sandbox'] });
try {
  const p = await browser.newPage();
  await p.goto(`http://127.0.0.1:${server.address().port}/`);
  await p.waitForFunction(() => window.__result !== undefined, null, { timeout: 120_000 });
  const result = await p.evaluate(() => window.__result);
  console.log(JSON.stringify({ browser: browser.version(), ...result }, null, 1));
  const bad = result.error !== undefined || Object.values(result).some((r) => !(r.gemmMaxErr < 1e-4 && r.convMaxErr < 1e-4));
  process.exitCode = bad ? 1 : 0;
} finally {
  await browser.close();
  server.close();
}
