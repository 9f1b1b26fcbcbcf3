import { splitFsFields } from '../fsText.js';
import { quoteShell } from './shellQuote.js';

// Scripts over one machine's trash, `ROOT/.blat-trash/RUN/PATH` (for `blat trash` and apply's
// pruning), each for `/bin/sh -s`. Every name in them is a single-quoted word; output is
// NUL-separated fields.

const TRASH = './.blat-trash';

/** A shell `case` pattern matching a run name (see apply/trashRun.ts): `2024-05-01T12-00-00-000Z`. */
const RUN_PATTERN = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]-[0-9][0-9]-[0-9][0-9]-[0-9][0-9][0-9]Z';

/** One version kept in a machine's trash. */
export interface KeptVersion {
  /** The run folder's name. */
  readonly run: string;
  /** The path it was kept from, relative to the root. */
  readonly path: string;
  readonly type: 'file' | 'symlink' | 'other';
  /** Its own mtime (seconds), as kept. */
  readonly mtime: number;
  readonly size: number;
}

/**
 * Lists every file and symlink under the trash. Output: "root" (or "noroot"), then per entry
 * ./.blat-trash/RUN/PATH, type (f l o), mtime, size; then "end".
 */
export function buildTrashListScript(root: string): string {
  return [
    'LC_ALL=C; export LC_ALL',
    `cd -- ${quoteShell(root)} 2>/dev/null || { printf 'noroot\\0end\\0'; exit 0; }`,
    `printf 'root\\0'`,
    `if [ -d ${TRASH} ]; then`,
    `  if find / -maxdepth 0 -printf '' >/dev/null 2>&1; then find ${TRASH} -mindepth 2 ! -type d -printf '%p\\0%y\\0%T@\\0%s\\0'`,
    `  else find ${TRASH} -mindepth 2 ! -type d -print0 | perl -e '$/ = "\\0"; while (defined(my $p = <STDIN>)) { chomp $p; my @s = lstat($p) or next; printf "%s\\0%s\\0%d\\0%d\\0", $p, -l _ ? "l" : -f _ ? "f" : "o", $s[9], $s[7]; }'; fi`,
    'fi',
    `printf 'end\\0'`,
    '',
  ].join('\n');
}

/** The trash list script's output: the kept versions, whether the root exists, and whether the output was whole. */
export function parseTrashList(output: Buffer): { rootExists: boolean; complete: boolean; kept: KeptVersion[] } {
  const fields = splitFsFields(output);
  fields.pop(); // what follows the last NUL was cut off (or is empty)
  const kept: KeptVersion[] = [];
  const rootExists = fields[0] === 'root';
  let i = 1;
  for (; i + 3 < fields.length && fields[i] !== 'end'; i += 4) {
    const m = /^\.\/\.blat-trash\/([^/]+)\/(.+)$/s.exec(fields[i]);
    if (!m) continue;
    const t = fields[i + 1];
    kept.push({ run: m[1], path: m[2], type: t === 'f' ? 'file' : t === 'l' ? 'symlink' : 'other', mtime: Number(fields[i + 2]), size: Number(fields[i + 3]) });
  }
  return { rootExists, complete: fields[i] === 'end', kept };
}

/**
 * Shell lines removing the trash runs whose names sort before `before` (a run name: names sort
 * by time), and only folders named like runs. A name is compared as the number its digits make
 * (17 of them: fits the shell's 64-bit arithmetic), with builtins only: no process per run.
 * In a subshell, so IFS and the positional parameters stay as they were. With `report`,
 * prints "pruned", RUN for each.
 */
export function buildPruneLines(before: string, report: boolean): string[] {
  const cut = before.replace(/\D/g, '');
  if (!/^\d{17}$/.test(cut)) throw new Error(`not a trash run name: ${before}`);
  const say = report ? ` && printf 'pruned\\0%s\\0' "$n"` : '';
  return [
    `if [ -d ${TRASH} ]; then (for d in ${TRASH}/*; do n=\${d##*/}; case $n in ${RUN_PATTERN}) ;; *) continue ;; esac;`,
    `  IFS=-TZ; set -- $n; IFS=' '; if [ "$1$2$3$4$5$6$7" -lt ${cut} ] && [ -d "$d" ] && [ ! -h "$d" ]; then rm -rf -- "$d" 2>/dev/null${say}; fi; done); fi`,
  ];
}

/** Removes the runs older than `before` from the trash (see buildPruneLines). Output: "pruned", RUN per run removed; exit 3 without the root. */
export function buildTrashPruneScript(root: string, before: string): string {
  return [`cd -- ${quoteShell(root)} || exit 3`, ...buildPruneLines(before, true), ''].join('\n');
}

/** The runs the prune script removed. */
export function parsePruneOutput(output: Buffer): string[] {
  const fields = splitFsFields(output);
  fields.pop();
  const runs: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'pruned') runs.push(fields[i + 1]);
  return runs;
}

/**
 * Puts the version kept at `.blat-trash/RUN/PATH` back at PATH; whatever is at PATH now (not a
 * folder) is first moved into `.blat-trash/STAMP/PATH`. Output: one field, "ok", "missing" (no
 * such kept version), "folder" (a folder is at PATH: left alone) or "fail"; exit 3 without the root.
 */
export function buildTrashRestoreScript(root: string, run: string, path: string, stamp: string): string {
  const k = quoteShell(`${TRASH}/${run}/${path}`);
  const p = quoteShell(`./${path}`);
  const d = quoteShell(`${TRASH}/${stamp}/${path}`);
  const parentOf = (rel: string) => quoteShell(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '.');
  return [
    `cd -- ${quoteShell(root)} || exit 3`,
    `if [ ! -e ${k} ] && [ ! -h ${k} ]; then r=missing`,
    `elif [ -d ${p} ] && [ ! -h ${p} ]; then r=folder`,
    'else r=ok',
    `  if [ -e ${p} ] || [ -h ${p} ]; then (umask 077 && mkdir -p -- ${parentOf(`${TRASH}/${stamp}/${path}`)}) && mv -f -- ${p} ${d} || r=fail; fi`,
    // A plain file comes back by ln (never over a path that appeared meanwhile); else, or where links fail, by mv onto an absent path.
    `  if [ $r = ok ]; then mkdir -p -- ${parentOf(`./${path}`)} || r=fail; fi`,
    `  if [ $r = ok ]; then if [ -f ${k} ] && [ ! -h ${k} ] && ln -- ${k} ${p} 2>/dev/null; then rm -f -- ${k}; elif [ ! -e ${p} ] && [ ! -h ${p} ]; then mv -- ${k} ${p} || r=fail; else r=fail; fi; fi`,
    'fi',
    `printf '%s\\0' "$r"`,
    '',
  ].join('\n');
}
