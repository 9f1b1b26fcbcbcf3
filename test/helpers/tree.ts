// Reading a directory tree the way blat's Entry sees it, and setting exact mtimes.
import { lstat, lutimes, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from './proc.js';

export type TreeType = 'file' | 'symlink' | 'dir' | 'other';

/** What lstat says about one path, with the mtime both as float seconds and exact nanoseconds. */
export interface FileStat {
  readonly type: TreeType;
  /** Bytes; 0 for directories, link length for symlinks (as in blat's Entry). */
  readonly size: number;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
  /** Seconds since the epoch, float. */
  readonly mtime: number;
  /** Nanoseconds since the epoch, exact. */
  readonly mtimeNs: bigint;
  readonly uid: number;
  readonly gid: number;
  /** Link target, symlinks only. */
  readonly target?: string;
}

/** One row of listTree: a path relative to the listed root. */
export interface TreeEntry {
  readonly path: string;
  readonly type: TreeType;
  readonly size: number;
  readonly mtime: number;
  readonly target?: string;
}

/** Nanoseconds since the epoch as float seconds (whole and fractional parts converted separately). */
export function nsToSeconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

/** lstat of `path` as a FileStat (throws ENOENT when absent). */
export async function readStat(path: string): Promise<FileStat> {
  const st = await lstat(path, { bigint: true });
  const type: TreeType = st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : 'other';
  return {
    type,
    size: type === 'dir' ? 0 : Number(st.size),
    mode: Number(st.mode & 0o7777n),
    mtime: nsToSeconds(st.mtimeNs),
    mtimeNs: st.mtimeNs,
    uid: Number(st.uid),
    gid: Number(st.gid),
    ...(type === 'symlink' ? { target: await readlink(path) } : {}),
  };
}

/** Every path under `root` (not root itself), sorted, with type, size, mtime and link target. */
export async function readTree(root: string): Promise<TreeEntry[]> {
  const rows: TreeEntry[] = [];
  async function walk(rel: string): Promise<void> {
    for (const name of await readdir(rel ? join(root, rel) : root)) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await readStat(join(root, path));
      rows.push({ path, type: st.type, size: st.size, mtime: st.mtime, ...(st.target !== undefined ? { target: st.target } : {}) });
      if (st.type === 'dir') await walk(path);
    }
  }
  await walk('');
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A mtime as `touch -d @…` wants it: a number of seconds, or an exact decimal string like "1700000000.123456789". */
function formatMtime(mtime: number | string): string {
  // String() gives the shortest decimal that reads back as the same number, so a float mtime round-trips.
  const shortest = typeof mtime === 'number' ? String(mtime) : mtime;
  const text = typeof mtime === 'number' && !/^\d+(\.\d{1,9})?$/.test(shortest) ? mtime.toFixed(9) : shortest;
  if (!/^\d+(\.\d{1,9})?$/.test(text)) throw new Error(`bad mtime ${JSON.stringify(mtime)}: want seconds, e.g. 1700000000.123456789`);
  return text;
}

/** Exact nanoseconds since the epoch of a formatMtime text. */
function parseMtimeNs(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
}

/** Sets atime and mtime of `path` (not following a symlink), to the nanosecond when given as a string. */
export async function writeMtime(path: string, mtime: number | string): Promise<void> {
  const text = formatMtime(mtime);
  // Node's lutimes takes doubles (about 0.2 µs resolution today), exact for whole seconds and
  // halves; GNU touch takes exact nanoseconds but is a process to start (thousands of them over
  // the suite). lutimes first, kept when the times read back exact; else touch.
  const want = parseMtimeNs(text);
  const seconds = Number(text);
  const exact = await lutimes(path, seconds, seconds).then(
    async () => {
      const st = await lstat(path, { bigint: true });
      return st.mtimeNs === want && st.atimeNs === want;
    },
    () => false, // touch says why, if it fails too
  );
  if (!exact) await runChecked('touch', ['-h', '-d', `@${text}`, '--', path]);
}
