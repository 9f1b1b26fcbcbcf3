// The benchmark's deterministic tree: N small files (1–8 KiB), 100 per folder, two levels of
// folders of 100 under the sync path; its listing for comparing machines; the 1% rewrite.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const SYNC_PATH = 'data';
const PER_FOLDER = 100;
const MTIME0 = 1_600_000_000;

/** A 32-bit integer hash of i (deterministic, well mixed). */
function mix(i) {
  let x = (i + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const POOL_SIZE = 1 << 16;
/** 64 KiB of deterministic noise that file contents are cut from. */
const POOL = (() => {
  const b = Buffer.alloc(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i += 4) b.writeUInt32LE(mix(i * 7 + 1), i);
  return b;
})();

/** Relative path (from the root) of file i. */
export function filePath(i) {
  const leaf = Math.floor(i / PER_FOLDER);
  return `${SYNC_PATH}/p${Math.floor(leaf / PER_FOLDER)}/q${leaf % PER_FOLDER}/f${i}.dat`;
}

/** Relative paths of every folder of an N-file tree, parents first (the sync path included). */
export function folderPaths(n) {
  const leaves = Math.ceil(n / PER_FOLDER);
  const out = [SYNC_PATH];
  for (let p = 0; p * PER_FOLDER < leaves; p++) {
    out.push(`${SYNC_PATH}/p${p}`);
    for (let q = 0; q < PER_FOLDER && p * PER_FOLDER + q < leaves; q++) out.push(`${SYNC_PATH}/p${p}/q${q}`);
  }
  return out;
}

/** Content of file i at a version (0 = original): 1 KiB to 8 KiB, different for every (i, version). */
export function fileContent(i, version = 0) {
  const h = mix(i * 31 + version * 1_000_003);
  const size = 1024 + (h % (8 * 1024 - 1024 + 1));
  const head = Buffer.from(`file ${i} version ${version}\n`);
  const start = mix(h) % (POOL_SIZE - size);
  return Buffer.concat([head, POOL.subarray(start, start + size - head.length)]);
}

function writeWhole(file, content) {
  const fd = openSync(file, 'w', 0o644);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/** Writes the N-file tree under root (which must exist), with deterministic mtimes on files and folders. */
export function writeTree(root, n) {
  const folders = folderPaths(n);
  for (const f of folders) mkdirSync(join(root, f), { recursive: true, mode: 0o755 });
  for (let i = 0; i < n; i++) {
    const file = join(root, filePath(i));
    writeWhole(file, fileContent(i));
    const t = MTIME0 + i + (mix(i) % 1_000_000) / 1_000_000;
    utimesSync(file, t, t);
  }
  // Deepest folders last written: set their times after their contents.
  for (let k = folders.length - 1; k >= 0; k--) utimesSync(join(root, folders[k]), MTIME0 - k, MTIME0 - k);
}

/** Files changed in round r of the 1% benchmark: every index ≡ r (mod 100). */
export function changedFiles(n, round) {
  const out = [];
  for (let i = round % 100; i < n; i += 100) out.push(i);
  return out;
}

/** Rewrites the files of round r under root (new content, mtime `mtime` seconds; `replace`: as new files renamed over the old); returns their relative paths. */
export function rewriteFiles(root, n, round, mtime, replace = false) {
  const paths = [];
  for (const i of changedFiles(n, round)) {
    const rel = filePath(i);
    const file = join(root, rel);
    if (replace) {
      // A new file renamed over the old: other machines' trees may be hard links of this one.
      writeWhole(`${file}.new`, fileContent(i, round + 1));
      renameSync(`${file}.new`, file);
    } else writeWhole(file, fileContent(i, round + 1));
    utimesSync(file, mtime, mtime);
    paths.push(rel);
  }
  return paths;
}

/**
 * Sorted lines "path type size mtime" of everything under the sync path of root (folder sizes left
 * out; blat's own folders beside it, such as .blat-tmp, are not part of the tree).
 */
export function readListing(root) {
  if (!existsSync(join(root, SYNC_PATH))) return [];
  const text = execFileSync('find', [SYNC_PATH, '-printf', '%p\\0%y\\0%s\\0%T@\\0'], {
    cwd: root,
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const f = text.split('\0');
  const lines = [];
  // A folder's size and mtime are left out: neither blat nor rsync --files-from carries the time of a
  // folder it does not list, and writing into a folder changes it on the receiver.
  for (let k = 0; k + 3 < f.length; k += 4) lines.push(f[k + 1] === 'd' ? `${f[k]}\td` : `${f[k]}\t${f[k + 1]}\t${f[k + 2]}\t${f[k + 3]}`);
  lines.sort();
  return lines;
}

/** Throws, showing the first differences, unless every root holds the same listing; returns its length. */
export function checkIdentical(roots, what) {
  const [first, ...rest] = Object.entries(roots).map(([name, root]) => ({ name, lines: readListing(root) }));
  for (const other of rest) {
    const a = first.lines;
    const b = other.lines;
    if (a.length === b.length && a.every((line, k) => line === b[k])) continue;
    const setB = new Set(b);
    const setA = new Set(a);
    const onlyA = a.filter((l) => !setB.has(l)).slice(0, 5);
    const onlyB = b.filter((l) => !setA.has(l)).slice(0, 5);
    throw new Error(
      `${what}: trees differ between ${first.name} (${a.length} entries) and ${other.name} (${b.length} entries)\n` +
        `  only on ${first.name}:\n${onlyA.map((l) => `    ${l}`).join('\n') || '    (none)'}\n` +
        `  only on ${other.name}:\n${onlyB.map((l) => `    ${l}`).join('\n') || '    (none)'}`,
    );
  }
  return first.lines.length;
}
