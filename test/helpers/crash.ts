import { spawn } from 'node:child_process';

/**
 * Runs `script` (an ES module body, with `MODULE` bound to the URL of `dist/src/node/index.js`)
 * in a child process whose FileHandle.write is patched: the `crashOnWrite`-th file written from
 * offset 0 (1-based) gets only its first half, then the child prints `crashing` and is killed with
 * SIGKILL by the parent — a real process death in the middle of a write. Resolves with the
 * child's stdout once it is dead; rejects if it exits on its own.
 */
export function runAndKillMidWrite(script: string, crashOnWrite: number): Promise<string> {
  const moduleUrl = new URL('../../src/node/index.js', import.meta.url).href;
  const body = `
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
const probe = await fs.open(os.tmpdir() + '/puregan-probe-' + process.pid, 'w');
const proto = Object.getPrototypeOf(probe);
await probe.close();
await fs.rm(os.tmpdir() + '/puregan-probe-' + process.pid);
const write = proto.write;
let files = 0;
proto.write = async function (buf, off, len, pos) {
  if (pos === 0) files++;
  if (files !== ${crashOnWrite}) return write.call(this, buf, off, len, pos);
  await write.call(this, buf, off, Math.floor(len / 2), pos);
  process.stdout.write('crashing\\n');
  setInterval(() => {}, 1000);
  return new Promise(() => {});
};
const MODULE = ${JSON.stringify(moduleUrl)};
${script}
`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', body], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('crashing')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`the child exited by itself (code ${code}) before crashing: ${err}`));
    });
  });
}
