/**
 * `node dist/scripts/report_screenshot.js <run dir> <out.png>`: a screenshot of a run's report
 * (index.html) in headless Chromium, for the README. Needs the dev dependency playwright-core
 * and a Chromium at /usr/bin/chromium (`apt-get install -y chromium`), or CHROMIUM=path.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [dir, out] = process.argv.slice(2);
if (dir === undefined || out === undefined) {
  console.error('usage: node dist/scripts/report_screenshot.js <run dir> <out.png>');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1500 } });
  await page.goto(pathToFileURL(path.resolve(dir, 'index.html')).href);
  await page.screenshot({ path: out, fullPage: false });
  console.log(`${out}: the report of ${dir}`);
} finally {
  await browser.close();
}
