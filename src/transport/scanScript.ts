import type { OsKind } from '../types.js';
import { quoteShell } from './shellQuote.js';
import { buildPruneLines } from './trashStoreScript.js';

// The one shell script a scan runs on a machine. It is fed to `/bin/sh -s` on
// standard input, so the remote login shell never parses a file name: every
// name below appears only as a single-quoted word.
//
// Output, NUL-separated fields:
//   blat-scan-1, uname -s, clock (seconds.fraction), "root" | "noroot",
//   then 6 fields per entry: ./path, type (f d l o), mtime, size, octal mode, link target,
//   then "end".
// With `expect` (the sha256 of a listing known to be in sync), a tree scan whose listing
// still has that digest prints "same" instead of the entries.
// Entry paths always start with "./", so they can never be taken for "end" or "same".

export const SCAN_MAGIC = 'blat-scan-1';
const GNU_FORMAT = '%p\\0%y\\0%T@\\0%s\\0%m\\0%l\\0';

// perl reading NUL-separated names on stdin and printing the same records as GNU find.
// (No single quotes inside: it is single-quoted into the script.)
const PERL_STAT = [
  'use Time::HiRes qw(lstat); $/ = "\\0";',
  'while (defined(my $p = <STDIN>)) { chomp $p; my @s = lstat($p) or next;',
  'my $t = -l _ ? "l" : -d _ ? "d" : -f _ ? "f" : "o"; my $l = $t eq "l" ? readlink($p) : "";',
  'printf "%s\\0%s\\0%.9f\\0%d\\0%o\\0%s\\0", $p, $t, $s[9], $s[7], $s[2] & 07777, $l; }',
].join(' ');

export interface ScanScriptOptions {
  /** Absolute root on the machine. */
  readonly root: string;
  /** Relative paths (no "./"); `tree` walks each, `stat` looks at each alone. */
  readonly paths: readonly string[];
  readonly mode: 'tree' | 'stat';
  /** rsync-style exclude patterns (tree mode). */
  readonly exclude: readonly string[];
  /** Declared OS; undefined = detect (GNU find if it has -printf, else find + perl). */
  readonly os?: OsKind;
  /** A folder (relative to the root) to create if missing, emptied of files older than a day and of empty folders. */
  readonly prepareDir?: string;
  /** Trash runs whose names sort before this one are removed on the way (silently: see trashStoreScript.ts). */
  readonly pruneTrashBefore?: string;
  /** Stat mode: paths whose whole trees are listed too (excludes pruned), as tree mode lists them. */
  readonly trees?: readonly string[];
  /**
   * Tree mode: sha256 (hex) of the listing this machine gave when everything was last in sync.
   * The listing is first written to a temp file and hashed there; when the digest is unchanged
   * only "same" is sent, otherwise the tree is listed again, straight to the output (the temp
   * file is never sent: a full disk could have cut it short). Without sha256sum, shasum or
   * mktemp the tree is simply listed.
   */
  readonly expect?: string;
}

/** A find(1) expression that prunes what the rsync-style patterns exclude, as shell words. */
export function buildPruneExpression(patterns: readonly string[]): string {
  const tests = patterns.map((raw) => {
    const dirOnly = raw.endsWith('/');
    const pat = raw.replace(/\/+$/, '');
    const anchored = pat.includes('/');
    const test = anchored
      ? `-path ${quoteShell('./' + pat.replace(/^\/+/, '').replace(/\*\*/g, '*'))}`
      : `-name ${quoteShell(pat)}`;
    return dirOnly ? `\\( -type d -a ${test} \\)` : test;
  });
  return tests.length === 0 ? '' : `\\( ${tests.join(' -o ')} \\) -prune -o`;
}

/**
 * Shell lines listing the trees under the (quoted, "./"-prefixed) start points. They go through
 * printf (a builtin: no argument limit) and xargs, so any number fits, in linear time. A missing
 * one is an absence: find's complaint about it is dropped by the caller.
 */
function buildTreeListing(quoted: readonly string[], prune: string): string[] {
  const list = `printf '%s\\0' ${quoted.join(' ')} | xargs -0 sh -c`;
  return [
    `if [ $gnu = 1 ]; then ${list} ${quoteShell(`exec find "$@" ${prune} -printf '${GNU_FORMAT}'`)} sh`,
    `else ${list} ${quoteShell(`exec find "$@" ${prune} -print0`)} sh | perl -e '${PERL_STAT}'; fi`,
  ];
}

/** The scan (or re-stat) script for one machine, to be run by `/bin/sh -s`. */
export function buildScanScript(opts: ScanScriptOptions): string {
  const quoted = opts.paths.map((p) => quoteShell('./' + p));
  const detect =
    opts.os === 'darwin' ? 'gnu=0'
    : opts.os === 'linux' ? 'gnu=1'
    : "if find / -maxdepth 0 -printf '' >/dev/null 2>&1; then gnu=1; else gnu=0; fi";
  const lines = [
    'LC_ALL=C; export LC_ALL',
    `printf '%s\\0' ${SCAN_MAGIC} "$(uname -s)"`,
    detect,
    `if [ $gnu = 1 ]; then now=$(date +%s.%N); else now=$(perl -MTime::HiRes=time -e 'printf "%.6f", time'); fi`,
    `printf '%s\\0' "$now"`,
    `cd -- ${quoteShell(opts.root)} 2>/dev/null || { printf 'noroot\\0end\\0'; exit 0; }`,
    `printf 'root\\0'`,
  ];
  if (opts.prepareDir !== undefined) {
    const d = quoteShell(`./${opts.prepareDir}`);
    // Files left by killed transfers a day ago, then the folders they leave empty (a killed staging folder).
    lines.push(`mkdir -p -- ${d} 2>/dev/null && find ${d} -type f -mtime +0 -exec rm -f -- {} + 2>/dev/null; find ${d} -mindepth 1 -depth -type d -empty -exec rmdir -- {} \\; 2>/dev/null`);
  }
  if (opts.pruneTrashBefore !== undefined) lines.push(...buildPruneLines(opts.pruneTrashBefore, false));
  const prune = buildPruneExpression(opts.exclude);
  if (opts.mode === 'tree') {
    if (quoted.length) {
      const listing = buildTreeListing(quoted, prune);
      if (opts.expect === undefined) lines.push(...listing);
      else {
        if (!/^[0-9a-f]{64}$/.test(opts.expect)) throw new Error('expect: not a sha256 digest');
        lines.push(
          'if command -v sha256sum >/dev/null 2>&1; then sum=sha256sum; elif command -v shasum >/dev/null 2>&1; then sum="shasum -a 256"; else sum=; fi',
          'tmp=; if [ -n "$sum" ]; then tmp=$(mktemp "${TMPDIR:-/tmp}/blat-scan.XXXXXX" 2>/dev/null) || tmp=; fi',
          'if [ -n "$tmp" ]; then',
          `trap 'rm -f "$tmp"' EXIT; trap 'exit 1' HUP INT TERM PIPE`,
          '{', ...listing, '} >"$tmp" 2>/dev/null',
          'got=$($sum <"$tmp" 2>/dev/null | cut -c1-64); rm -f "$tmp"',
          `if [ "$got" = ${opts.expect} ]; then printf 'same\\0'; else`,
          ...listing,
          'fi',
          'else',
          ...listing,
          'fi',
        );
      }
    }
  } else {
    if (quoted.length) {
      // Re-stat a list of paths: the list goes through printf (a builtin: no argument
      // limit) and xargs, so any number of paths fits.
      lines.push(
        `if [ $gnu = 1 ]; then printf '%s\\0' ${quoted.join(' ')} | xargs -0 sh -c 'find "$@" -maxdepth 0 -printf "$0" 2>/dev/null; exit 0' '${GNU_FORMAT}'`,
        `else printf '%s\\0' ${quoted.join(' ')} | perl -e '${PERL_STAT}'; fi`,
      );
    }
    // And whole trees, as a tree scan lists them (a folder new on another machine, sent whole).
    const trees = (opts.trees ?? []).map((p) => quoteShell('./' + p));
    if (trees.length) lines.push(...buildTreeListing(trees, prune));
  }
  lines.push(`printf 'end\\0'`, '');
  return lines.join('\n');
}
