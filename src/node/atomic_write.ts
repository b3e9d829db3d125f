import * as E from 'fp-ts/lib/Either.js';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { IoError } from '../core/errors.js';

/** Codes with which some platforms refuse fsync on a directory (Windows); the rename stands. */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'ENOTSUP']);

/** The prefix of the temporary files `atomicWriteFile` makes next to `target`. */
export const tempPrefix = (target: string): string => `.${path.basename(target)}.tmp-`;

/**
 * Writes `bytes` to `target` so that, whatever happens (a crash, a full disk, a kill), the path
 * holds either its old content or all of the new, never a mix or a truncation:
 *
 * 1. write to a temporary file in the same directory (`.<name>.tmp-<pid>-<random>`), so the
 *    rename below stays on one file system;
 * 2. fsync the temporary file (its data reach the disk before the rename can);
 * 3. rename it over `target` (atomic on POSIX and NTFS);
 * 4. fsync the directory, so the rename itself survives a power cut.
 *
 * On failure the temporary file is removed (as far as possible) and `target` is untouched. After a
 * crash a temporary file may remain; it never has `target`'s name (checkpoint rotation removes
 * those of its own files).
 */
export async function atomicWriteFile(target: string, bytes: Uint8Array): Promise<E.Either<IoError, void>> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `${tempPrefix(target)}${process.pid}-${randomBytes(6).toString('hex')}`);
  let stage = 'create the temporary file';
  try {
    const handle = await fs.open(temp, 'wx', 0o644);
    try {
      stage = 'write';
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, written);
        if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
        written += bytesWritten;
      }
      stage = 'fsync';
      await handle.sync();
    } finally {
      await handle.close();
    }
    stage = 'rename the temporary file over it';
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    return E.left(new IoError(`cannot write ${target}: ${stage} failed (${(e as Error).message})`));
  }
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!DIR_SYNC_UNSUPPORTED.has(code)) return E.left(new IoError(`wrote ${target}, but cannot fsync its directory (${(e as Error).message})`));
  }
  return E.right(undefined);
}
