import { quoteShell } from './shellQuote.js';

// Scripts that read one file under a root, for `blat diff`: its first bytes on stdout, or its
// sha256. Nothing is written on the machine (no temporary file). Exit 4: not a regular file there.

/** A script printing the first `limit` bytes of the regular file `path` (relative to `root`). */
export function buildReadFileScript(root: string, path: string, limit: number): string {
  if (!Number.isInteger(limit) || limit < 1) throw new Error('limit: a positive integer');
  const f = quoteShell(`./${path}`);
  return [`cd -- ${quoteShell(root)} || exit 3`, `[ -f ${f} ] && [ ! -h ${f} ] || exit 4`, `exec head -c ${limit} -- ${f}`, ''].join('\n');
}

/** A script printing the sha256 (64 hex digits) of the regular file `path` (relative to `root`). */
export function buildSha256Script(root: string, path: string): string {
  const f = quoteShell(`./${path}`);
  return [
    `cd -- ${quoteShell(root)} || exit 3`,
    `[ -f ${f} ] && [ ! -h ${f} ] || exit 4`,
    `if command -v sha256sum >/dev/null 2>&1; then sha256sum < ${f}; elif command -v shasum >/dev/null 2>&1; then shasum -a 256 < ${f}; else exit 5; fi | cut -c1-64`,
    '',
  ].join('\n');
}
