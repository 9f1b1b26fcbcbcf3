// The machine locks: a folder `ROOT/SETDIR/lock` made with one mkdir (atomic), holding a file
// `owner` with one line naming the blat that holds it (host, pid, run id, time, tab-separated).
// The lock is a lease: its holder touches `owner` while it runs, and a lock whose owner file was
// not touched for `stallTimeout` seconds may be taken over. Its age is judged on the machine
// itself (its own clock against its own file times), so no clock offset between machines counts.
import { TRANSFER_TEMP_DIR } from './rsync.js';
import { quoteShell } from './shellQuote.js';
import { buildWriteSetFilesLines, type SetFile } from './setFilesScript.js';

/** What the scripts are given: where the lock lives on the machine, and the line naming this blat. */
export interface LockSpec {
  /** The machine's root (absolute, on that machine). */
  readonly root: string;
  /** The set's folder relative to the root (buildSetDir): the lock is its `lock` folder. */
  readonly setDir: string;
  /** This blat's owner line (buildOwnerLine): no tab, newline or NUL. */
  readonly owner: string;
}

/** Who holds a lock, as its owner line says; fields absent when the line does not say. */
export interface LockOwner {
  readonly host?: string;
  readonly pid?: number;
  readonly run?: string;
  /** ISO 8601, as the holder wrote it. */
  readonly time?: string;
  /** The line as read (for a line that is not a blat owner line). */
  readonly line: string;
}

/** The take script's answer. */
export type TakeAnswer =
  | {
      readonly kind: 'taken';
      readonly tookOver: readonly { readonly ageSeconds: number | undefined; readonly owner: LockOwner }[];
      /** The take made the transfer temp folder (it was not there): a release that gives up before anything is written removes it again. */
      readonly madeTemp?: true;
    }
  | { readonly kind: 'held'; readonly ageSeconds: number | undefined; readonly owner: LockOwner }
  | { readonly kind: 'fail'; readonly reason: string };

/** The one-line owner record: host (control characters and tabs made `?`), pid, run id, ISO time. */
export function buildOwnerLine(holder: { host: string; pid: number; run: string; nowMs: number }): string {
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return [clean(holder.host), String(holder.pid), clean(holder.run), new Date(holder.nowMs).toISOString()].join('\t');
}

/** Reads an owner line (tab-separated host, pid, run, time); what it does not say is left out. */
export function parseOwnerLine(line: string): LockOwner {
  const [host, pid, run, time] = line.split('\t');
  const n = Number(pid);
  return {
    line,
    ...(host ? { host } : {}),
    ...(pid !== undefined && /^[1-9][0-9]{0,9}$/.test(pid) ? { pid: n } : {}),
    ...(run ? { run } : {}),
    ...(time ? { time } : {}),
  };
}

/** Shell lines setting d (the set folder), l (the lock), o (its owner file) and me (our owner line). */
function prelude(spec: LockSpec): string[] {
  return [
    `cd -- ${quoteShell(spec.root)} || exit 3`,
    `d=${quoteShell(spec.setDir)}; l="$d/lock"; o="$l/owner"; me=${quoteShell(spec.owner)}`,
    // The first line of the owner file (at most 512 bytes of it), empty when there is none; read by
    // the shell itself (no head processes: this runs in every take, renewal and release).
    `owner() { x=; IFS= read -r x 2>/dev/null <"$o"; printf '%.512s\\n' "$x"; }`,
  ];
}

/**
 * The take script, for `/bin/sh -s`. Makes the lock with mkdir and writes the owner file in it.
 * A lock there already: ours (same owner line) counts as taken; one whose owner file (or, without
 * one, whose folder) was modified less than `stallTimeout` seconds ago is held; an older one (or
 * the one whose owner line is `breakOwner`: a holder known to be gone) is taken over, one taker at
 * a time (`lock/takeover`, made inside the stale lock, is the takers' mutex, gone with it).
 * Output lines: `stale TAB AGE TAB OWNER` per lock taken over, `made` when it made the temp
 * folder (`written`), then `taken`; or `held TAB AGE TAB OWNER`, or `fail TAB WHY`; AGE is `?`
 * when the machine could not tell it. Exit 3: root missing.
 * `written` (a step of the apply writes the machine): once taken, the machine's seen lines
 * (state/seenLine.ts) are removed (its tree is about to change, and a scan would only pay to learn
 * that its listing no longer has their digest), and its transfer temp folder (TRANSFER_TEMP_DIR) is
 * made, so that transfers into staging folders there may begin before the precheck.
 */
export function buildTakeLockScript(spec: LockSpec, stallTimeout: number, breakOwner?: string, written = false): string {
  const t = quoteShell(TRANSFER_TEMP_DIR);
  const prepare = written ? `set -- "$d"/seen-*; [ ! -e "$1" ] || rm -f -- "$@" 2>/dev/null; [ -d ${t} ] || { mkdir -- ${t} 2>/dev/null && echo made; }; ` : '';
  return [
    ...prelude(spec),
    `took() { ${prepare}echo taken; exit 0; }`,
    `limit=${Math.max(1, Math.floor(stallTimeout))}; brk=${quoteShell(breakOwner ?? '')}`,
    // Seconds since $1 was modified, by this machine's clock: perl, else date +%s and stat.
    `age() { perl -e '@s = lstat($ARGV[0]) or exit 1; print time - $s[9], "\\n"' -- "$1" 2>/dev/null || { m=$(stat -c %Y -- "$1" 2>/dev/null || stat -f %m -- "$1" 2>/dev/null) && n=$(date +%s) && echo $((n - m)); }; }`,
    `i=0`,
    `while [ $i -lt 30 ]; do`,
    `  i=$((i + 1))`,
    `  [ -d "$d" ] || mkdir -p -- "$d" 2>/dev/null`,
    `  if mkdir -- "$l" 2>/dev/null; then`,
    `    if printf '%s\\n' "$me" > "$o"; then took; fi`,
    `    rm -rf -- "$l"; printf 'fail\\tcannot write %s\\n' "$o"; exit 0`,
    `  fi`,
    // Released meanwhile (or the set folder removed by a release): try again.
    `  [ -d "$l" ] || continue`,
    `  line=$(owner)`,
    `  if [ "$line" = "$me" ]; then took; fi`,
    `  if [ -f "$o" ]; then f="$o"; else f="$l"; fi`,
    `  a=$(age "$f") || a=`,
    `  case $a in '' | - | *[!0-9-]* | ?*-*) a= ;; esac`,
    `  if [ -n "$brk" ] && [ "$line" = "$brk" ]; then :`,
    `  elif [ -z "$a" ]; then printf 'held\\t?\\t%s\\n' "$line"; exit 0`,
    `  elif [ "$a" -lt "$limit" ]; then printf 'held\\t%s\\t%s\\n' "$a" "$line"; exit 0; fi`,
    // Stale: one taker moves it aside (after looking again) and removes it; the others wait and look again.
    `  if mkdir -- "$l/takeover" 2>/dev/null; then`,
    `    s="$d/stale.$$.$i"; rm -rf -- "$s"`,
    `    if [ "$(owner)" = "$line" ] && { [ -n "$brk" ] && [ "$line" = "$brk" ] || { b=$(age "$f") && [ "$b" -ge "$limit" ]; }; } && mv -- "$l" "$s"; then`,
    `      rm -rf -- "$s"; printf 'stale\\t%s\\t%s\\n' "\${a:-?}" "$line"`,
    `    else rmdir -- "$l/takeover" 2>/dev/null; fi`,
    `    continue`,
    `  fi`,
    // Another taker is at work: wait for it (its mutex, left by a taker that died, is removed once as
    // old as a stale lock). No mutex and the same lock: it cannot be taken over from here (permissions).
    `  if [ -d "$l/takeover" ]; then`,
    `    t=$(age "$l/takeover") && [ "$t" -ge "$limit" ] 2>/dev/null && rmdir -- "$l/takeover" 2>/dev/null`,
    `    sleep 1`,
    `  elif [ -d "$l" ] && [ "$(owner)" = "$line" ]; then printf 'fail\tcannot take over the stale lock %s\n' "$l"; exit 0; fi`,
    `done`,
    `printf 'fail\\tcannot make %s\\n' "$l"`,
    '',
  ].join('\n');
}

/** Parses the take script's output; a run cut short (no final answer) is a failure. */
export function parseTakeOutput(output: string): TakeAnswer {
  const tookOver: { ageSeconds: number | undefined; owner: LockOwner }[] = [];
  let madeTemp = false;
  for (const line of output.split('\n')) {
    const [kind, first = '', ...rest] = line.split('\t');
    if (kind === 'made') madeTemp = true;
    if (kind === 'taken') return { kind: 'taken', tookOver, ...(madeTemp ? { madeTemp: true as const } : {}) };
    if (kind === 'fail') return { kind: 'fail', reason: [first, ...rest].join('\t') };
    if (kind === 'stale' || kind === 'held') {
      const ageSeconds = /^-?[0-9]+$/.test(first) ? Number(first) : undefined;
      const owner = parseOwnerLine(rest.join('\t'));
      if (kind === 'held') return { kind: 'held', ageSeconds, owner };
      tookOver.push({ ageSeconds, owner });
    }
  }
  return { kind: 'fail', reason: 'no answer from the lock script' };
}

/** The renew script: touches the owner file if it is still ours. Output `ok` or `lost`; exit 3: root missing. */
export function buildRenewLockScript(spec: LockSpec): string {
  return [...prelude(spec), `if [ "$(owner)" = "$me" ] && touch -c -- "$o"; then echo ok; else echo lost; fi`, ''].join('\n');
}

/** What the release writes on the machine first, while the lock is still ours. */
export interface ReleaseWrites {
  /** The machine's base files (head last): `based` is printed once all are in place. */
  readonly files?: readonly SetFile[];
  /** A shell line writing the machine's seen line (buildWriteSeenLine); run only once `files` are in place. */
  readonly seen?: string;
  /** Remove the transfer temp folder when it is empty (the take made it, and the apply gives up before writing anything). */
  readonly removeTemp?: boolean;
}

/**
 * The release script: writes `writes` while the lock is still ours (or removes the empty temp
 * folder, when asked), then removes the lock if it is, then the set folder and `.blat` when they
 * are left empty (rmdir removes nothing else).
 * Output `based` (the files written), `ok` (the seen line), then `released`, `notours` or `fail`;
 * exit 3: root missing.
 */
export function buildReleaseLockScript(spec: LockSpec, writes: ReleaseWrites = {}): string {
  const parents = [];
  for (let dir = spec.setDir; dir.includes('/'); dir = dir.slice(0, dir.lastIndexOf('/'))) parents.push(dir);
  parents.push(spec.setDir.split('/')[0]);
  const files = writes.files ?? [];
  const first =
    files.length === 0 && writes.seen === undefined
      ? []
      : [
          'if [ "$(owner)" = "$me" ]; then',
          ...buildWriteSetFilesLines(files),
          `if [ $w = 1 ]; then ${files.length > 0 ? 'echo based; ' : ''}${writes.seen ?? ':'}; fi`,
          'fi',
        ];
  return [
    ...prelude(spec),
    ...first,
    ...(writes.removeTemp ? [`if [ "$(owner)" = "$me" ]; then rmdir -- ${quoteShell(TRANSFER_TEMP_DIR)} 2>/dev/null; fi`] : []),
    `if [ "$(owner)" != "$me" ]; then echo notours; elif rm -rf -- "$l"; then echo released; else echo fail; fi`,
    // One rmdir, the set folder first, then its parents, and none while the set folder holds a file.
    `set -- "$d"/*; if [ ! -e "$1" ] && [ ! -h "$1" ]; then rmdir -- ${parents.map(quoteShell).join(' ')} 2>/dev/null; fi`,
    'exit 0',
    '',
  ].join('\n');
}
