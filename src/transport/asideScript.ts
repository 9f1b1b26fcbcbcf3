// Keeps versions of conflicting files beside them (--keep-both): each is copied (cp -p: content,
// mode and mtime) to a temporary name under the transfer temp folder, then linked to its
// conflict-copy name (ln: never over a path that is there, or appeared meanwhile) and the
// temporary name removed. Output: NUL-separated pairs per item, ./as: "ok" (copied), "exists"
// (something is at the name: nothing done), "gone" (no regular file at the path: nothing done),
// "fail" (could not copy or link: nothing left at the name).
import { splitFsFields } from '../fsText.js';
import { quoteShell } from './shellQuote.js';

/** One version to keep: the file at `path`, copied to `as` (both relative to the root) through `temp`. */
export interface AsideItem {
  readonly path: string;
  readonly as: string;
  /** A free name in the transfer temp folder (same filesystem as the root, for ln). */
  readonly temp: string;
}

/** The copy-aside script for one machine, for `/bin/sh -s`; exit 3 when the root is missing. */
export function buildAsideScript(root: string, tempDir: string, items: readonly AsideItem[]): string {
  const lines = [`cd -- ${quoteShell(root)} || exit 3`, `mkdir -p -- ${quoteShell(`./${tempDir}`)} || exit 4`];
  for (const { path, as, temp } of items) {
    const p = quoteShell(`./${path}`);
    const a = quoteShell(`./${as}`);
    const t = quoteShell(`./${temp}`);
    lines.push(
      `if [ ! -f ${p} ] || [ -h ${p} ]; then printf 'gone\\0%s\\0' ${a}; ` +
        `elif [ -e ${a} ] || [ -h ${a} ]; then printf 'exists\\0%s\\0' ${a}; ` +
        `elif rm -f -- ${t} && cp -p -- ${p} ${t} && ln -- ${t} ${a} 2>/dev/null; then rm -f -- ${t}; printf 'ok\\0%s\\0' ${a}; ` +
        `else rm -f -- ${t}; printf 'fail\\0%s\\0' ${a}; fi`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Parses the copy-aside script's output into conflict-copy name → outcome (a cut-off last pair is dropped). */
export function parseAsideOutput(output: Buffer): Map<string, 'ok' | 'exists' | 'gone' | 'fail'> {
  const fields = splitFsFields(output);
  fields.pop();
  const result = new Map<string, 'ok' | 'exists' | 'gone' | 'fail'>();
  for (let i = 0; i + 1 < fields.length; i += 2) result.set(fields[i + 1].replace(/^\.\//, ''), fields[i] as 'ok' | 'exists' | 'gone' | 'fail');
  return result;
}
