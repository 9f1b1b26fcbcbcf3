import { splitFsFields } from '../fsText.js';
import { quoteShell } from './shellQuote.js';

// Moves paths into `.blat-trash/<stamp>/` under a root instead of unlinking them.
// Output: NUL-separated pairs "ok"|"gone"|"fail", ./path. Deepest paths first, so a
// folder is only removed (rmdir) once what the plan moved out of it is gone; a folder
// that still holds anything is left alone and reported as "fail".

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
  const fields = splitFsFields(output);
  // Every complete field ends in NUL: what follows the last one was cut off (or is empty).
  fields.pop();
  const result = new Map<string, 'ok' | 'gone' | 'fail'>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const status = fields[i] as 'ok' | 'gone' | 'fail';
    result.set(fields[i + 1].replace(/^\.\//, ''), status);
  }
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
