import { splitFsFields } from '../fsText.js';
import { quoteShell } from './shellQuote.js';

// Moves paths into `.blat-trash/<stamp>/` under a root instead of unlinking them.
// Output: NUL-separated pairs "ok"|"gone"|"fail", ./path. Deepest paths first, so a
// folder is only removed (rmdir) once what the plan moved out of it is gone; a folder
// that still holds anything is left alone and reported as "fail".
// Also the give-back script: a version saved on a machine while a transfer replaced it
// (rsync kept it in the trash run) is swapped back into place (see buildGiveBackScript).

/** The trash script for one machine, for `/bin/sh -s`. `stamp` is a folder-safe timestamp. */
export function buildTrashScript(root: string, stamp: string, items: readonly { path: string; isDir: boolean }[]): string {
  const ordered = [...items].sort((a, b) => depth(b.path) - depth(a.path) || (a.path < b.path ? 1 : -1));
  const lines = [`cd -- ${quoteShell(root)} || exit 3`, 'umask 077'];
  for (const { path, isDir } of ordered) {
    const src = quoteShell(`./${path}`);
    if (isDir) {
      lines.push(`if [ ! -d ${src} ]; then printf 'gone\\0%s\\0' ${src}; elif rmdir -- ${src} 2>/dev/null; then printf 'ok\\0%s\\0' ${src}; else printf 'fail\\0%s\\0' ${src}; fi`);
    } else {
      const dest = quoteShell(`./.blat-trash/${stamp}/${path}`);
      const destDir = quoteShell(`./.blat-trash/${stamp}/${parent(path)}`);
      lines.push(
        `if [ ! -e ${src} ] && [ ! -h ${src} ]; then printf 'gone\\0%s\\0' ${src}; elif mkdir -p -- ${destDir} && mv -f -- ${src} ${dest}; then printf 'ok\\0%s\\0' ${src}; else printf 'fail\\0%s\\0' ${src}; fi`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** Parses the trash script's output into path → outcome. */
export function parseTrashOutput(output: Buffer): Map<string, 'ok' | 'gone' | 'fail'> {
  return parseStatusPairs(output);
}

/** NUL-separated pairs "status", ./path into path → status (a cut-off last pair is dropped). */
function parseStatusPairs<T extends string>(output: Buffer): Map<string, T> {
  const fields = splitFsFields(output);
  // Every complete field ends in NUL: what follows the last one was cut off (or is empty).
  fields.pop();
  const result = new Map<string, T>();
  for (let i = 0; i + 1 < fields.length; i += 2) result.set(fields[i + 1].replace(/^\.\//, ''), fields[i] as T);
  return result;
}

function depth(path: string): number {
  let n = 0;
  for (const ch of path) if (ch === '/') n++;
  return n;
}

function parent(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '.' : path.slice(0, i);
}

/** A path whose version saved during a transfer rsync kept in the trash run: to be put back in place. */
export interface GiveBack {
  /** The path, relative to the root. */
  readonly path: string;
  /** Where rsync kept the saved version (relative to the root, under the trash run). */
  readonly kept: string;
  /** A free name in the transfer temp folder, for the transferred copy on its way to trash. */
  readonly aside: string;
}

/**
 * Puts versions saved during a transfer back at their paths, and the transferred copies where
 * they were kept: the transferred copy is moved aside, the saved one linked back (ln: never over
 * a path that appeared meanwhile; where there are no hard links, mv -n) and unlinked from the
 * trash, the transferred copy moved there.
 * Only regular files are put back. Output: NUL-separated pairs per path, ./path:
 * "ok" (swapped), "again" (the path was written once more meanwhile: that stays, the saved
 * version stays kept, the transferred copy is removed: its source holds it), "fail" (nothing changed).
 */
export function buildGiveBackScript(root: string, items: readonly GiveBack[]): string {
  const lines = [`cd -- ${quoteShell(root)} || exit 3`];
  for (const { path, kept, aside } of items) {
    const p = quoteShell(`./${path}`);
    const k = quoteShell(`./${kept}`);
    const a = quoteShell(`./${aside}`);
    lines.push(
      `if [ -f ${k} ] && [ ! -h ${k} ] && [ ! -e ${a} ] && mv -f -- ${p} ${a}; then ` +
        // A filesystem without hard links (FAT): moved back with mv -n, only where nothing appeared.
        `if ln -- ${k} ${p} 2>/dev/null || { [ ! -e ${p} ] && [ ! -h ${p} ] && mv -n -- ${k} ${p} 2>/dev/null && [ ! -e ${k} ]; }; then rm -f -- ${k}; mv -f -- ${a} ${k}; r=ok; else rm -f -- ${a}; r=again; fi; ` +
        `else r=fail; fi; printf '%s\\0%s\\0' "$r" ${p}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Parses the give-back script's output into path → outcome. */
export function parseGiveBackOutput(output: Buffer): Map<string, 'ok' | 'again' | 'fail'> {
  return parseStatusPairs(output);
}
