import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/**
 * A fresh directory `puregan-<prefix>-XXXXXX` under the OS temporary directory, removed with
 * everything in it when the test process exits (each test file runs in its own process).
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `puregan-${prefix}-`));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
