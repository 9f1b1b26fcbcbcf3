import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { BlatError } from '../errors.js';

/**
 * Makes (once) and returns the private directory holding ssh ControlMaster sockets,
 * refusing one that is not ours or is reachable by others.
 */
export async function readyControlDir(base: string = tmpdir()): Promise<string> {
  const { uid } = userInfo();
  // Kept short: unix socket paths are limited to about 100 bytes and ssh adds a 40-char hash.
  const dir = join(base, `blat-${uid}`);
  await mkdir(dir, { mode: 0o700, recursive: true });
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new BlatError(`${dir}: ssh control directory must be a directory owned by uid ${uid} with mode 0700`);
  }
  return dir;
}
