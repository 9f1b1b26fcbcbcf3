import { splitFsFields } from '../fsText.js';
import { quoteShell } from './shellQuote.js';

// Moves folders that rsync filled in a staging folder into place, each with one rename(2):
// never over anything (a path that exists, even as a dangling symlink, is left alone and
// reported), so a folder new on the receiver appears whole or not at all. Then removes
// the staging folder. Output: NUL-separated pairs "ok"|"exists"|"fail", ./path.

/** One folder to move into place: from a staging path to its final path, both relative to the root. */
export interface PlaceMove {
  readonly from: string;
  readonly to: string;
}

/** The place script for one machine, for `/bin/sh -s`: the moves, then `staging` removed (paths relative to `root`). */
export function buildPlaceScript(root: string, moves: readonly PlaceMove[], staging: readonly string[]): string {
  const lines = [
    `cd -- ${quoteShell(root)} || exit 3`,
    // GNU mv -T renames onto the path itself (never into a folder that appeared there); elsewhere perl's rename.
    'if mv --version >/dev/null 2>&1; then gnu=1; else gnu=0; fi',
  ];
  for (const move of moves) {
    const src = quoteShell(`./${move.from}`);
    const dst = quoteShell(`./${move.to}`);
    lines.push(
      `if [ -e ${dst} ] || [ -h ${dst} ]; then r=exists; ` +
        `elif if [ $gnu = 1 ]; then mv -T -- ${src} ${dst}; else perl -e 'rename($ARGV[0], $ARGV[1]) or exit 1' ${src} ${dst}; fi 2>/dev/null; then r=ok; else r=fail; fi; ` +
        `printf '%s\\0%s\\0' "$r" ${dst}`,
    );
  }
  for (const dir of staging) lines.push(`rm -rf -- ${quoteShell(`./${dir}`)}`);
  lines.push('');
  return lines.join('\n');
}

/** Parses the place script's output into path → outcome. */
export function parsePlaceOutput(output: Buffer): Map<string, 'ok' | 'exists' | 'fail'> {
  const fields = splitFsFields(output);
  fields.pop(); // what follows the last NUL was cut off (or is empty)
  const result = new Map<string, 'ok' | 'exists' | 'fail'>();
  for (let i = 0; i + 1 < fields.length; i += 2) result.set(fields[i + 1].replace(/^\.\//, ''), fields[i] as 'ok' | 'exists' | 'fail');
  return result;
}
