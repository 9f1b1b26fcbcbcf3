// Moves paths on one machine as they were moved on another (move steps): never over anything.
// A regular file is linked to its new name (ln: refuses a name that is there, or appeared
// meanwhile) and its old name unlinked; where the filesystem has no hard links (FAT, exFAT), and
// for a folder or symlink, it is renamed with `mv -n` (and -T where mv has it) once the new name is found free (and found
// gone from the old name afterwards). Output: NUL-separated pairs per item, ./path (the new path): "ok" (moved),
// "exists" (something is at the new path: nothing done), "gone" (nothing at the old path),
// "noparent" (the new path's folder is not there), "fail" (could not move: nothing done).
// Also the hash script: the sha256 of the regular files over 1 MiB at or under some paths, for
// the content check of a move (same size and mtime are not enough for big files).
import { splitFsFields } from '../fsText.js';
import { quoteShell } from './shellQuote.js';

/** Files over this many bytes move only when their content hashes agree on both machines. */
export const MOVE_HASH_MIN_BYTES = 1024 * 1024;

/** One move on a machine: `was` to `path` (both relative to the root). */
export interface MoveItem {
  readonly was: string;
  readonly path: string;
}

/** The move script for one machine, for `/bin/sh -s`; exit 3 when the root is missing. */
export function buildMoveScript(root: string, items: readonly MoveItem[]): string {
  // GNU mv -T: a folder that appears at the new name between the check and the rename is not
  // moved into (BSD mv has no -T: there that window stays, and nothing is overwritten either way).
  const lines = [`cd -- ${quoteShell(root)} || exit 3`, `T=; mv --help 2>/dev/null | grep -q -e --no-target-directory && T=-T`];
  for (const { was, path } of items) {
    const w = quoteShell(`./${was}`);
    const p = quoteShell(`./${path}`);
    const i = path.lastIndexOf('/');
    const dir = quoteShell(i === -1 ? '.' : `./${path.slice(0, i)}`);
    lines.push(
      `if [ ! -e ${w} ] && [ ! -h ${w} ]; then r=gone; ` +
        `elif [ -e ${p} ] || [ -h ${p} ]; then r=exists; ` +
        `elif [ ! -d ${dir} ]; then r=noparent; ` +
        `elif [ -f ${w} ] && [ ! -h ${w} ] && ln -- ${w} ${p} 2>/dev/null; then if rm -f -- ${w}; then r=ok; else rm -f -- ${p}; r=fail; fi; ` +
        `elif [ -e ${p} ] || [ -h ${p} ]; then r=exists; ` +
        `elif mv -n $T -- ${w} ${p} 2>/dev/null && [ ! -e ${w} ] && [ ! -h ${w} ]; then r=ok; ` +
        `elif [ -e ${w} ] || [ -h ${w} ]; then r=fail; else r=ok; fi; ` +
        `printf '%s\\0%s\\0' "$r" ${p}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Parses the move script's output into new path → outcome (a cut-off last pair is dropped). */
export function parseMoveOutput(output: Buffer): Map<string, 'ok' | 'exists' | 'gone' | 'noparent' | 'fail'> {
  const fields = splitFsFields(output);
  fields.pop();
  const result = new Map<string, 'ok' | 'exists' | 'gone' | 'noparent' | 'fail'>();
  for (let i = 0; i + 1 < fields.length; i += 2) result.set(fields[i + 1].replace(/^\.\//, ''), fields[i] as 'ok' | 'exists' | 'gone' | 'noparent' | 'fail');
  return result;
}

/**
 * A script printing `./file`, NUL, sha256 (hex), NUL for every regular file over 1 MiB at or under
 * each of `paths` (relative to `root`); a file that cannot be read has no hash. Exit 3: root
 * missing; exit 5: neither sha256sum nor shasum.
 */
export function buildMoveHashScript(root: string, paths: readonly string[]): string {
  const each = 'for f; do h=$($sum < "$f" 2>/dev/null | cut -c1-64) && [ -n "$h" ] && printf \'%s\\0%s\\0\' "$f" "$h"; done';
  const lines = [
    `cd -- ${quoteShell(root)} || exit 3`,
    'if command -v sha256sum >/dev/null 2>&1; then sum=sha256sum; elif command -v shasum >/dev/null 2>&1; then sum="shasum -a 256"; else exit 5; fi',
    'export sum',
  ];
  for (const path of paths) {
    lines.push(`find ${quoteShell(`./${path}`)} -type f -size +${MOVE_HASH_MIN_BYTES}c -exec sh -c ${quoteShell(each)} sh {} + 2>/dev/null`);
  }
  lines.push('exit 0', '');
  return lines.join('\n');
}

/** Parses the hash script's output into file path (relative to the root) → sha256. */
export function parseMoveHashOutput(output: Buffer): Map<string, string> {
  const fields = splitFsFields(output);
  fields.pop();
  const result = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) if (/^[0-9a-f]{64}$/.test(fields[i + 1])) result.set(fields[i].replace(/^\.\//, ''), fields[i + 1]);
  return result;
}
