// Crash-safe file replacement: a reader (or a restart after a kill) sees the old content or the new, never a part.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BlatError } from '../errors.js';
import { describeError, errorCode } from './fsErrors.js';

/** Flushes a directory's entries (a create, rename or unlink inside it) to disk; best effort where unsupported. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some filesystems and platforms cannot open or fsync a directory; the data itself is already synced.
    const code = errorCode(error);
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP' && code !== 'EBADF') {
      throw error;
    }
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A fresh temp-file name next to `file`: `.NAME.PID.RANDOM.tmp`. */
export function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Replaces `file` with `data` atomically: creates the parent directories, writes a
 * temp file beside it, fsyncs it, renames it over `file` and fsyncs the directory.
 * On failure the temp file is removed, `file` is left as it was, and a BlatError naming `file` is thrown.
 * `durable: false` (for caches) skips the fsyncs: still all or nothing, but may be lost in a crash.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, { durable = true } = {}): Promise<void> {
  const dir = dirname(file);
  const temp = tempPathFor(file);
  let handle: FileHandle | undefined;
  try {
    await mkdir(dir, { recursive: true });
    handle = await open(temp, 'wx');
    await handle.writeFile(data);
    if (durable) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, file);
    if (durable) await syncDirectory(dir);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw new BlatError(`${file}: cannot write (${describeError(error)})`, { cause: error });
  }
}
