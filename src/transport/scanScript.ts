import type { OsKind } from '../types.js';
import { buildFindExcludeTests } from '../config/excludes.js';
import { quoteShell } from './shellQuote.js';
import { buildPruneLines } from './trashStoreScript.js';
import { BASE_HEAD_MAGIC, SYNC_ID } from '../state/machineBase.js';
import { SEEN_MAGIC } from '../state/seenLine.js';

// The one shell script a scan runs on a machine. It is fed to `/bin/sh -s` on
// standard input, so the remote login shell never parses a file name: every
// name below appears only as a single-quoted word.
//
// Output, NUL-separated fields:
//   blat-scan-1, uname -s, clock (seconds.fraction), "root" | "noroot",
//   then 6 fields per entry: ./path, type (f d l o u), mtime, size, octal mode, link target,
//   then "end". Type "u" is a folder the scan could not read (no read or search permission for
//   the user it runs as): it is not entered, and nothing under it is listed.
// With `seen` (see state/seenLine.ts), a tree scan whose listing still has the digest the
// machine's seen line names prints "same" instead of the entries.
// Entry paths always start with "./", so they can never be taken for "end" or "same".

export const SCAN_MAGIC = 'blat-scan-1';

/**
 * The stall timeout, in seconds: how long a transfer may go without a sign of life before it is
 * given up. A temporary file or staging folder unchanged for longer belongs to no live transfer.
 */
export const STALL_TIMEOUT_S = 60;
const GNU_FORMAT = '%p\\0%y\\0%T@\\0%s\\0%m\\0%l\\0';
/** GNU find: a folder it may not read or enter is printed as type "u" and not entered. */
const GNU_UNREADABLE = `\\( -type d \\( ! -readable -o ! -executable \\) -printf '%p\\0u\\0%T@\\0%s\\0%m\\0\\0' -prune \\) -o`;

// perl reading NUL-separated names on stdin and printing the same records as GNU find.
// (No single quotes inside: it is single-quoted into the script.)
const PERL_STAT = [
  'use Time::HiRes qw(lstat); $/ = "\\0";',
  'while (defined(my $p = <STDIN>)) { chomp $p; my @s = lstat($p) or next;',
  'my $t = -l _ ? "l" : -d _ ? (-r _ && -x _ ? "d" : "u") : -f _ ? "f" : "o"; my $l = $t eq "l" ? readlink($p) : "";',
  'printf "%s\\0%s\\0%.9f\\0%d\\0%o\\0%s\\0", $p, $t, $s[9], $s[7], $s[2] & 07777, $l; }',
].join(' ');

export interface ScanScriptOptions {
  /** Absolute root on the machine. */
  readonly root: string;
  /** Relative paths (no "./"); `tree` walks each, `stat` looks at each alone. */
  readonly paths: readonly string[];
  readonly mode: 'tree' | 'stat';
  /** rsync-style exclude patterns (tree mode), each sync path a root of its own (see config/excludes.ts). */
  readonly exclude: readonly string[];
  /** The config's sync paths (where anchored patterns, and those with a "/", are matched from); needed with such patterns. */
  readonly syncPaths?: readonly string[];
  /** Root-relative paths blat owns (config.ownPaths): pruned wherever a tree is walked. */
  readonly own?: readonly string[];
  /** Declared OS; undefined = detect (GNU find if it has -printf, else find + perl). */
  readonly os?: OsKind;
  /**
   * A folder (relative to the root) to create if missing and rid of what dead transfers left (see
   * buildPrepareLines): rsync's temporary files, and staging folders, unchanged for more than
   * `staleAfterS` seconds.
   */
  readonly prepareDir?: string;
  /** Seconds (default STALL_TIMEOUT_S; find counts whole minutes, so it is rounded up to one). */
  readonly staleAfterS?: number;
  /** Trash runs whose names sort before this one are removed on the way (silently: see trashStoreScript.ts). */
  readonly pruneTrashBefore?: string;
  /** Stat mode: paths whose whole trees are listed too (excludes pruned), as tree mode lists them. */
  readonly trees?: readonly string[];
  /**
   * Tree mode, with `base`: the name of the machine's seen file in the set's folder
   * (state/seenLine.ts). Its line is sent first in the base section ('' when there is none, or it
   * is not one). With one, the listing is first written to a temp file and hashed there; when its
   * digest is the line's, only "same" is sent; otherwise the temp file is sent when GNU find ended
   * well and complained of nothing (a write error on a full disk makes it fail), else the tree is
   * listed again, straight to the output (a temp file not known whole is never sent). Without
   * sha256sum, shasum or mktemp the tree is simply listed.
   */
  readonly seen?: string;
  /**
   * Tree mode: after the listing, a sha256 of every regular file under the paths (excludes pruned),
   * as records `./path, "h", sha256 (hex), "", "", ""` (GNU: sha256sum; else perl's Digest::SHA).
   * Reads every byte of those files. Not with `seen`.
   */
  readonly checksum?: boolean;
  /**
   * Tree mode: send the machine's base of this sync set (state/machineBase.ts) right after the
   * header: its head line ('' when there is none), then `have` when its id is `have` (the
   * controller holds that body), else the body's byte count, the body, and `base-end`. Bodies the
   * head does not name, older than `staleAfterS`, are removed on the way (left by an apply
   * killed between writing a body and its head, or replaced since), and so are the temp files of
   * writers killed before their rename.
   */
  readonly base?: { readonly dir: string; readonly have?: string };
}

// Hash records from `sha256sum -z` ("HASH  PATH"), and from perl for BSD find.
const SED_SUM_RECORD = `sed -z 's/^\\([0-9a-f]\\{64\\}\\)  \\(.*\\)$/\\2\\x00h\\x00\\1\\x00\\x00\\x00/'`;
const PERL_SUM = [
  'use Digest::SHA; $/ = "\\0";',
  'while (defined(my $p = <STDIN>)) { chomp $p; my $d = Digest::SHA->new(256); eval { $d->addfile($p, "b"); 1 } or next;',
  'printf "%s\\0h\\0%s\\0\\0\\0\\0", $p, $d->hexdigest; }',
].join(' ');

/** Shell lines printing a hash record for every regular file under the start points (see ScanScriptOptions.checksum). */
function buildSumListing(quoted: readonly string[], prune: Prune): string[] {
  const list = `printf '%s\\0' ${quoted.join(' ')} | xargs -0 sh -c`;
  // find's complaints were the listing's to make: not twice.
  return [
    `if [ $gnu = 1 ]; then ${list} ${quoteShell(`exec find "$@" ${prune.gnu} -type f -print0 2>/dev/null`)} sh | xargs -0 -r sha256sum -z -- | ${SED_SUM_RECORD}`,
    `else ${list} ${quoteShell(`exec find ${prune.regex ? '-E ' : ''}"$@" ${prune.bsd} -type f -print0 2>/dev/null`)} sh | perl -e '${PERL_SUM}'; fi`,
  ];
}

/** `path` with find's glob characters escaped, so that -path matches it literally. */
function escapeGlob(path: string): string {
  return path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * A find(1) expression that prunes exactly what the rsync-style patterns exclude under the sync
 * paths `syncPaths` (see config/excludes.ts: -name for slash-free patterns, -regex for the others),
 * and the root-relative paths `own` (blat's folders: matched exactly, from the root), as shell
 * words. `gnu`: GNU find (its -regex needs -regextype); else BSD find, started with -E.
 */
export function buildPruneExpression(patterns: readonly string[], own: readonly string[] = [], syncPaths: readonly string[] = [], gnu = true): string {
  const owned = own.map((p) => `-path ${quoteShell('./' + escapeGlob(p))}`);
  const found = buildFindExcludeTests(patterns, syncPaths);
  const tests = found.names.map(([glob, dirOnly]) => (dirOnly ? `\\( -type d -a -name ${quoteShell(glob)} \\)` : `-name ${quoteShell(glob)}`));
  const regextype = gnu ? '-regextype posix-extended ' : '';
  if (found.regex !== undefined) tests.push(`${regextype}-regex ${quoteShell(found.regex)}`);
  if (found.dirRegex !== undefined) tests.push(`\\( -type d -a ${regextype}-regex ${quoteShell(found.dirRegex)} \\)`);
  tests.push(...owned);
  return tests.length === 0 ? '' : `\\( ${tests.join(' -o ')} \\) -prune -o`;
}

/** Whether the prune expression uses -regex (BSD find then needs -E). */
function usesRegex(patterns: readonly string[], syncPaths: readonly string[]): boolean {
  const found = buildFindExcludeTests(patterns, syncPaths);
  return found.regex !== undefined || found.dirRegex !== undefined;
}

/**
 * Shell lines listing the trees under the (quoted, "./"-prefixed) start points. They go through
 * printf (a builtin: no argument limit) and xargs, so any number fits, in linear time. A missing
 * one is an absence: find's complaint about it is dropped by the caller.
 */
function buildTreeListing(quoted: readonly string[], prune: Prune): string[] {
  const gnu = `${prune.gnu} ${GNU_UNREADABLE} -printf '${GNU_FORMAT}'`;
  const bsd = `${prune.bsd} -print0`;
  const E = prune.regex ? '-E ' : '';
  // A few start points are given to find itself: xargs and a shell are two more processes a scan.
  if (quoted.reduce((n, q) => n + q.length + 1, 0) <= DIRECT_ARGS_MAX) {
    const points = quoted.join(' ');
    return [`if [ $gnu = 1 ]; then find ${points} ${gnu}`, `else find ${E}${points} ${bsd} | perl -e '${PERL_STAT}'; fi`];
  }
  const list = `printf '%s\\0' ${quoted.join(' ')} | xargs -0 sh -c`;
  return [
    `if [ $gnu = 1 ]; then ${list} ${quoteShell(`exec find "$@" ${gnu}`)} sh`,
    `else ${list} ${quoteShell(`exec find ${E}"$@" ${bsd}`)} sh | perl -e '${PERL_STAT}'; fi`,
  ];
}

/**
 * A seen line naming at least this many paths has its listing hashed by openssl where the machine
 * has it (about 60 bytes a path: 1 MB), else by sha256sum (see buildScanScript).
 */
export const FAST_DIGEST_PATHS = 16_000;

/** Start points (their quoted words) up to this many bytes go on find's command line (far below any ARG_MAX). */
const DIRECT_ARGS_MAX = 16 * 1024;

/** The prune expressions of both forms of find. */
interface Prune {
  readonly gnu: string;
  readonly bsd: string;
  readonly regex: boolean;
}

/** The folder in the temp folder where rsync keeps the files of cut transfers (rsync.ts PARTIAL_DIR). */
export const PARTIAL_NAME = 'partial';
/** How long a cut transfer's file is kept for the next apply or resume to finish: a day. */
export const PARTIAL_KEEP_MINUTES = 24 * 60;

/**
 * Shell lines making the temp folder `dir` and removing what dead transfers left in it, so that
 * the next apply on the machine cleans up (not a day later), while a transfer still running (from
 * another blat) keeps its files:
 * - a file at its top (rsync's --temp-dir file, .NAME.XXXXXX) not modified for more than `staleS`
 *   seconds: a live rsync keeps writing it;
 * - a folder at its top (a staging folder) in which nothing, itself included, changed status
 *   (ctime: created, written, renamed into) for as long: rsync gives the files it places there
 *   their source's old mtime, so mtimes say nothing about it.
 * - not the folder `partial` (rsync's --partial-dir), whose files, what cut transfers had received,
 *   are kept a day (PARTIAL_KEEP_MINUTES) for the next transfer of the same file to send only the rest.
 * find counts whole minutes (-mmin, -cmin): the timeout is rounded up to a minute, at least one.
 */
export function buildPrepareLines(dir: string, staleS: number): string[] {
  const d = quoteShell(`./${dir}`);
  const minutes = Math.max(1, Math.ceil(staleS / 60));
  const staging = `for s; do [ -n "$(find "$s" ! -cmin +${minutes} -print 2>/dev/null | head -n 1)" ] || rm -rf -- "$s"; done`;
  const partial = quoteShell(`./${dir}/${PARTIAL_NAME}`);
  return [
    // The folder is looked into only when it holds something (its glob, not a process, tells).
    `holds() { for x; do if [ -e "$x" ] || [ -h "$x" ]; then return 0; fi; done; return 1; }`,
    `if { [ -d ${d} ] || mkdir -p -- ${d} 2>/dev/null; } && holds ${d}/* ${d}/.[!.]* ${d}/..?*; then`,
    `find ${d} -mindepth 1 -maxdepth 1 -type f -mmin +${minutes} -exec rm -f -- {} + 2>/dev/null`,
    `find ${d} -mindepth 1 -maxdepth 1 -type d ! -name ${PARTIAL_NAME} -exec sh -c ${quoteShell(staging)} sh {} + 2>/dev/null`,
    `find ${partial} -mindepth 1 -maxdepth 1 -type f -mmin +${PARTIAL_KEEP_MINUTES} -exec rm -f -- {} + 2>/dev/null`,
    'fi',
  ];
}

/** Shell lines sending the machine's base of the set in `dir` (see ScanScriptOptions.base). */
function buildBaseLines(dir: string, have: string | undefined, staleS: number, seen: string | undefined): string[] {
  if (have !== undefined && !SYNC_ID.test(have)) throw new Error('have: not a sync id');
  if (seen !== undefined && !/^seen-[0-9a-f]{12}$/.test(seen)) throw new Error('seen: not a seen file name');
  // The set's folder and the ids hold only [A-Za-z0-9._,-]: safe unquoted, so a chain splits into words.
  if (!/^[A-Za-z0-9._/-]+$/.test(dir) || dir.startsWith('/')) throw new Error(`base dir: not a plain relative path: ${dir}`);
  const d = `./${dir}`;
  const minutes = Math.max(1, Math.ceil(staleS / 60));
  // The seen line, and the digest it names (exp: empty when there is none).
  const seenLines =
    seen === undefined ? []
    : [
        `sl=; exp=; np=0; if [ -f ${d}/${seen} ] && IFS= read -r sl <${d}/${seen}; then :; fi`,
        // Only a line parseSeenLine takes: five words of these characters, the right lengths.
        `case $sl in *[!0-9a-z\\ -]*) sl=;; esac; set -- $sl`,
        // A pending line (digest "-") is sent too, and never answers "same".
        `if [ $# = 5 ] && [ "$1" = ${SEEN_MAGIC} ] && [ \${#3} -le 64 ] && [ \${#4} -le 15 ] && [ \${#5} -le 15 ]; then if [ \${#2} = 64 ]; then exp=$2; elif [ "$2" != - ]; then sl=; fi; else sl=; fi`,
        `case $exp in *[!0-9a-f]*) sl=; exp=;; esac; case $4$5 in *[!0-9]*) sl=; exp=;; esac; case $3 in *[!0-9a-z-]*) sl=; exp=;; esac; [ -z "$sl" ] || np=$4; set --`,
        `printf '%s\\0' "$sl"`,
      ];
  return [
    ...seenLines,
    `hl=; ch=; if [ -f ${d}/head ] && IFS= read -r hl <${d}/head; then ch=\${hl#${BASE_HEAD_MAGIC} }; ch=\${ch%% *}; fi`,
    // The chain names files: only the characters of sync ids and commas between them.
    `case $ch in ''|*[!0-9a-z,-]*|,*|*,|*,,*) hl=; ch=;; esac`,
    `fl=; [ -z "$ch" ] || fl=$(IFS=,; for i in $ch; do printf ' %s/base-%s' ${d} "$i"; done)`,
    `for f in $fl; do [ -f "$f" ] || { hl=; ch=; fl=; break; }; done; hid=\${ch##*,}`,
    `printf '%s\\0' "$hl"`,
    have === undefined ? 'if false; then :' : `if [ -n "$hid" ] && [ "$hid" = ${have} ]; then printf 'have\\0'`,
    // A file gone while it was read (another apply replaced the chain meanwhile) makes the section end otherwise: the scan fails.
    `elif [ -n "$fl" ]; then n=$(cat $fl 2>/dev/null | wc -c) || n=x; printf '%s\\0' $n; cat $fl 2>/dev/null; e=base-end; for f in $fl; do [ -f "$f" ] || e=base-gone; done; printf '%s\\0' $e; fi`,
    // Files no chain names (an apply killed before its head, or replaced since), once old enough.
    `if [ -n "$ch" ]; then for f in ${d}/base-*; do [ -f "$f" ] || continue; i=\${f##*/base-}; case ",$ch," in *",$i,"*) ;; *) [ -n "$(find "$f" -mmin +${minutes} 2>/dev/null)" ] && rm -f -- "$f";; esac; done; fi`,
    // Temp files of writers killed before their rename (base files, head, seen lines: .NAME.PID), once old enough.
    `for f in ${d}/.base-*.* ${d}/.head.* ${d}/.seen-*.*; do [ -f "$f" ] || continue; [ -n "$(find "$f" -mmin +${minutes} 2>/dev/null)" ] && rm -f -- "$f"; done`,
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
    // The kernel's name without a process where /proc has it (Linux), else uname's.
    `os=; { IFS= read -r os </proc/sys/kernel/ostype; } 2>/dev/null; [ -n "$os" ] || os=$(uname -s)`,
    `printf '%s\\0' ${SCAN_MAGIC} "$os"`,
    detect,
    `if [ $gnu = 1 ]; then now=$(date +%s.%N); else now=$(perl -MTime::HiRes=time -e 'printf "%.6f", time'); fi`,
    `printf '%s\\0' "$now"`,
    `cd -- ${quoteShell(opts.root)} 2>/dev/null || { printf 'noroot\\0end\\0'; exit 0; }`,
    `printf 'root\\0'`,
  ];
  if (opts.seen !== undefined && (opts.mode !== 'tree' || opts.base === undefined || opts.checksum)) throw new Error('seen: a tree scan with its base, without checksum');
  if (opts.mode === 'tree' && opts.base !== undefined) lines.push(...buildBaseLines(opts.base.dir, opts.base.have, opts.staleAfterS ?? STALL_TIMEOUT_S, opts.seen));
  if (opts.prepareDir !== undefined) lines.push(...buildPrepareLines(opts.prepareDir, opts.staleAfterS ?? STALL_TIMEOUT_S));
  if (opts.pruneTrashBefore !== undefined) lines.push(...buildPruneLines(opts.pruneTrashBefore, false));
  const syncPaths = opts.syncPaths ?? [];
  const prune: Prune = {
    gnu: buildPruneExpression(opts.exclude, opts.own, syncPaths, true),
    bsd: buildPruneExpression(opts.exclude, opts.own, syncPaths, false),
    regex: usesRegex(opts.exclude, syncPaths),
  };
  if (opts.mode === 'tree') {
    if (quoted.length) {
      const listing = buildTreeListing(quoted, prune);
      if (opts.seen === undefined) lines.push(...listing, ...(opts.checksum ? buildSumListing(quoted, prune) : []));
      else {
        lines.push(
          'if [ -z "$exp" ]; then',
          ...listing,
          'else',
          'if command -v sha256sum >/dev/null 2>&1; then sum=sha256sum; elif command -v shasum >/dev/null 2>&1; then sum="shasum -a 256"; else sum=; fi',
          // A long listing is hashed by openssl where there is one: the same sha256, several times
          // faster where the CPU has SHA instructions; a short one by sha256sum, quicker to start.
          `fast=; if [ -n "$sum" ] && [ "$np" -ge ${FAST_DIGEST_PATHS} ] && command -v openssl >/dev/null 2>&1; then fast="openssl dgst -sha256 -r"; fi`,
          // The listing and find's complaints go to files in a private folder (mode 0700: nobody else can plant one there).
          'tdir=; if [ -n "$sum" ]; then tdir=$(mktemp -d "${TMPDIR:-/tmp}/blat-scan.XXXXXX" 2>/dev/null) || tdir=; fi',
          'if [ -n "$tdir" ]; then',
          `tmp="$tdir/listing"; err="$tdir/complaints"; trap 'rm -rf "$tdir"' EXIT; trap 'exit 1' HUP INT TERM PIPE`,
          '{', ...listing, '} >"$tmp" 2>"$err"; st=$?',
          // "HASH  -": the digest is the first word.
          'got=; if [ -n "$fast" ]; then got=$($fast <"$tmp" 2>/dev/null) || got=; got=${got%% *}; case $got in *[!0-9a-f]*) got=;; esac; [ ${#got} = 64 ] || got=; fi',
          'if [ -z "$got" ]; then got=$($sum <"$tmp" 2>/dev/null) || got=; got=${got%% *}; fi',
          // The temp file is whole only when GNU find ended well (it fails on a write error, such as
          // a full disk) and said nothing at all: then it is sent as it is, not listed again.
          'whole=0; if [ $gnu = 1 ] && [ "$st" = 0 ] && [ ! -s "$err" ] && [ -n "$got" ]; then whole=1; fi',
          // A complaint other than a missing start point (a folder that could not be read): the
          // listing lacks what it could not see, so its digest proves nothing; list it again.
          `if [ -s "$err" ] && grep -qv 'No such file or directory$' "$err" 2>/dev/null; then got=; fi`,
          // The folder goes with the shell (the EXIT trap): one rm, not one per file.
          `if [ "$got" = "$exp" ]; then printf 'same\\0'`,
          // A temp file that cannot be read back whole ends the scan before its end marker: cut short, never a shorter listing.
          `elif [ $whole = 1 ]; then cat "$tmp" || exit 1`,
          'else rm -f "$tmp"',
          ...listing,
          'fi',
          'else',
          ...listing,
          'fi',
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
