import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { encodeFsText } from '../fsText.js';
import { describeStall } from './runScript.js';
import { buildRsyncRsh } from './sshArgs.js';
import { classifySshFailure } from './sshFailure.js';

/**
 * Folder under each root where rsync writes files before renaming them into place, so that a
 * killed transfer leaves its partial file there, never beside the real one (where a scan would
 * take it for a new file). Created by the precheck; never under a sync path.
 */
export const TRANSFER_TEMP_DIR = '.blat-tmp';

/**
 * Folder under each root where rsync keeps what a cut transfer had received (--partial-dir), so
 * that the next transfer of that file sends only the rest. Inside TRANSFER_TEMP_DIR: never
 * scanned nor sent; its files are kept a day (see scanScript.ts buildPrepareLines).
 */
export const PARTIAL_DIR = `${TRANSFER_TEMP_DIR}/partial`;

/**
 * One side of a transfer: a root folder here, or on an ssh destination; `bwlimit` (KiB/s) caps
 * any transfer touching it, `compress` has any transfer touching it compressed (rsync -z),
 * `ignorePerms` for a machine with `perms: ignore`.
 */
export type RsyncEndpoint = ({ readonly kind: 'local'; readonly root: string } | { readonly kind: 'ssh'; readonly host: string; readonly root: string }) & {
  readonly bwlimit?: number;
  readonly compress?: boolean;
  readonly ignorePerms?: boolean;
  /** With ignorePerms: the modes its filesystem gives every file and folder (chmod does not work there; see RootProbe). */
  readonly fixedModes?: { readonly file: number; readonly dir: number };
  /** A renamed file loses its mtime there (see RootProbe.renameKeepsMtime): as a receiver, its times are set again after a listed transfer. */
  readonly fixMtimes?: boolean;
};

/**
 * Permission arguments: none (-a keeps modes) unless an end ignores permissions. Then modes are
 * not set on the receiver (existing files keep theirs, new ones get the sent mode less the
 * umask), and what a source that ignores them sends is rw-r--r-- for files, rwxr-xr-x for folders
 * (symbolic: older rsyncs take no octal --chmod).
 */
export function buildPermsArgs(req: Pick<RsyncRequest, 'from' | 'to'>): string[] {
  // A receiver where chmod does not work: rsync (even with --no-perms) chmods whatever it places
  // whose mode differs from the one it computed, and fails (exit 23); asked for the very modes
  // that filesystem shows, it never chmods.
  const fixed = req.to.ignorePerms ? req.to.fixedModes : undefined;
  if (fixed) return ['--no-perms', `--chmod=${buildSymbolicModes('D', fixed.dir)},${buildSymbolicModes('F', fixed.file)}`];
  if (req.from.ignorePerms) return ['--no-perms', '--chmod=Du=rwx,Dgo=rx,Fu=rw,Fgo=r'];
  return req.to.ignorePerms ? ['--no-perms'] : [];
}

/** An octal mode as rsync's symbolic --chmod clauses for `kind` (D or F): 0o700 → `Du=rwx,Dg=,Do=`. */
function buildSymbolicModes(kind: 'D' | 'F', mode: number): string {
  const part = (who: string, bits: number) => `${kind}${who}=${bits & 4 ? 'r' : ''}${bits & 2 ? 'w' : ''}${bits & 1 ? 'x' : ''}`;
  return [part('u', (mode >> 6) & 7), part('g', (mode >> 3) & 7), part('o', mode & 7)].join(',');
}

export interface RsyncRequest {
  readonly from: RsyncEndpoint;
  readonly to: RsyncEndpoint;
  /** Relative paths, sent NUL-separated on stdin (never on a command line). */
  readonly paths: readonly string[];
  readonly sshOptions: readonly string[];
  /** Skip files that are newer on the receiver (a last guard against overwriting a newer version). */
  readonly update: boolean;
  /**
   * Listed transfers: a folder relative to the receiver's root (its trash run) where rsync moves
   * whatever it replaces or removes at a listed path, at the moment it renames the new version in.
   */
  readonly backupDir?: string;
  /** Called with the number of bytes transferred so far (from --info=progress2), when known. */
  readonly onBytes?: (bytes: number) => void;
  /** Called with the child's pid once started (lets a test interrupt a transfer). */
  readonly onStart?: (pid: number | undefined) => void;
  /**
   * Send the listed folders whole (recursively, these rsync-style patterns excluded) into `to`,
   * which is then a staging folder that holds nothing else: no temp folder, no --update. With
   * `folder`, that one folder's content goes straight into `to` (no list: rsync recurses as
   * `rsync -a` does, incrementally, which is faster); `paths` is then ignored.
   */
  readonly whole?: { readonly exclude: readonly string[]; readonly folder?: string; readonly own?: readonly string[] };
  /** Seconds without any data before rsync gives up (`--timeout`; rsync sends keep-alives meanwhile). */
  readonly stallTimeout?: number;
  /** Aborted (Ctrl-C, SIGTERM): rsync is stopped with SIGTERM (it removes its temporary file). */
  readonly signal?: AbortSignal;
}

/**
 * rsync excludes for the root-relative paths blat owns (`own`), anchored at the transfer's start:
 * the root, or `folder` when that one folder is sent (only those inside it matter then).
 */
export function buildOwnExcludes(own: readonly string[], folder?: string): string[] {
  const inside = folder === undefined ? own : own.filter((p) => p.startsWith(`${folder}/`)).map((p) => p.slice(folder.length + 1));
  // A pattern with a wildcard is matched as one, where a backslash escapes; a plain one literally.
  return inside.map((p) => `--exclude=/${/[*?[]/.test(p) ? p.replace(/[\\*?[\]]/g, (c) => `\\${c}`) : p}`);
}

export interface RsyncResult {
  readonly ok: boolean;
  /** rsync's own words when it failed (last lines of stderr). */
  readonly message?: string;
}

/** True when a failed transfer says the machine is gone for this run (unreachable, stalled, interrupted): nothing to look at there. */
export function isMachineGone(result: RsyncResult): boolean {
  return result.message !== undefined && /^(unreachable|stalled|interrupted)\b/.test(result.message);
}

/** The rsync argument that names an endpoint's root (trailing slash: copy contents). */
export function buildRsyncLocation(end: RsyncEndpoint): string {
  const root = end.root.endsWith('/') ? end.root : `${end.root}/`;
  // With --secluded-args (-s) the remote side receives the path verbatim: no shell splitting.
  return end.kind === 'local' ? root : `${end.host}:${root}`;
}

/** `--bwlimit=` for the tighter of the two endpoints' limits, when either has one. */
function buildBwlimitArgs(req: RsyncRequest): string[] {
  const limits = [req.from.bwlimit, req.to.bwlimit].filter((n): n is number => n !== undefined);
  return limits.length === 0 ? [] : [`--bwlimit=${Math.min(...limits)}`];
}

/**
 * The arguments for a transfer's link and files: `--bwlimit=` for the tighter of the two
 * endpoints' limits, `-z` when either end asks for compression (rsync ≥ 3.2 then picks the best
 * algorithm both ends have, zstd first), and `--sparse` (runs of zeros are written as holes, so
 * a sparse file stays sparse; blat never uses --inplace, with which older rsyncs refused it).
 */
function buildLinkArgs(req: RsyncRequest): string[] {
  return [...buildBwlimitArgs(req), ...(req.from.compress || req.to.compress ? ['-z'] : []), '--sparse'];
}

/** rsync's arguments for one batch: times, modes and links kept, no owner/group, list on stdin. */
export function buildRsyncArgs(req: RsyncRequest): string[] {
  if (req.whole?.folder !== undefined) {
    const args = ['-a', '--no-owner', '--no-group', ...buildPermsArgs(req), '-s', '--info=progress2', ...buildLinkArgs(req), ...buildTimeoutArgs(req), ...req.whole.exclude.map((p) => `--exclude=${p}`), ...buildOwnExcludes(req.whole.own ?? [], req.whole.folder)];
    if (req.from.kind === 'ssh' || req.to.kind === 'ssh') args.push('-e', buildRsyncRsh(req.sshOptions));
    args.push('--', `${buildRsyncLocation(req.from)}${req.whole.folder}/`, buildRsyncLocation(req.to));
    return args;
  }
  const args = ['-a', '--no-owner', '--no-group', ...buildPermsArgs(req), '-s', '--from0', '--files-from=-', '--info=progress2', ...buildLinkArgs(req), ...buildTimeoutArgs(req)];
  if (req.whole) {
    // Into an empty staging folder: as fast as rsync -a, partial files only ever inside it.
    args.push('-r', ...req.whole.exclude.map((p) => `--exclude=${p}`), ...buildOwnExcludes(req.whole.own ?? []));
  } else {
    // A cut transfer's file is kept in the partial folder (absolute: rsync takes a relative one
    // from each file's own folder), and the next transfer of it sends only the rest.
    const partial = `${req.to.root.replace(/\/+$/, '')}/${PARTIAL_DIR}`;
    args.push('--no-inc-recursive', `--temp-dir=${TRANSFER_TEMP_DIR}`, `--partial-dir=${partial}`,
      // Never replace a folder the receiver has as a symlink (rsync would, to recreate an implied parent).
      '--no-implied-dirs',
      // Every listed file differs (blat compared them to the nanosecond): rsync's quick check, at whole seconds, would skip a same-size edit.
      '--ignore-times');
    // Not to a receiver where the times pass follows (fixMtimes): a save there that --update skipped
    // would be given the source's mtime by it, and taken for the version sent. Without --update that
    // save is replaced, kept in the trash run, and put back by the look after the transfer.
    if (req.update && !req.to.fixMtimes) args.push('--update');
    // Keep every replaced version: moved (renamed) under the trash run, at its own path, no suffix.
    if (req.backupDir !== undefined) args.push('--backup', `--backup-dir=${req.backupDir}`, '--suffix=');
  }
  if (req.from.kind === 'ssh' || req.to.kind === 'ssh') args.push('-e', buildRsyncRsh(req.sshOptions));
  // `--` ends the options: a root can never be taken for one.
  args.push('--', buildRsyncLocation(req.from), buildRsyncLocation(req.to));
  return args;
}

/** `--timeout=N` when the request has a stall timeout. */
function buildTimeoutArgs(req: Pick<RsyncRequest, 'stallTimeout'>): string[] {
  return req.stallTimeout === undefined ? [] : [`--timeout=${req.stallTimeout}`];
}

const PROGRESS = /^\s*([\d,]+)\s+\d+%/;

/**
 * A batched rsync started before its list is known: it connects (ssh, the remote rsync, the
 * protocol's first exchange) and then waits for the list on stdin, so nothing is read or sent
 * before `send`. The receiver looks for the temp folder only once the list has come, so the
 * precheck may make it meanwhile. `cancel` stops one whose list never came. Its receiver
 * waits for the list only `--timeout` seconds (it then exits, having done nothing): a list that
 * comes after half of that (a long precheck) goes through a new rsync instead.
 */
export interface StartedRsync {
  /** Writes the list (NUL-separated) and reports whether every listed path was transferred. Once. */
  send(paths: readonly string[]): Promise<RsyncResult>;
  /** Stops an rsync that was never sent a list (it has transferred nothing); resolves once it is gone. */
  cancel(): Promise<void>;
}

/** Starts one batched rsync whose list comes later (see StartedRsync). `req.paths` is ignored. */
export function startRsync(req: Omit<RsyncRequest, 'paths'>): StartedRsync {
  const args = buildRsyncArgs({ ...req, paths: [] });
  const child = execa('rsync', args, {
    stdin: 'pipe',
    reject: false,
    buffer: { stdout: false, stderr: true },
    encoding: 'utf8',
    ...(req.signal ? { cancelSignal: req.signal } : {}),
  });
  req.onStart?.(child.pid);
  child.stdin?.on('error', () => undefined); // an rsync gone early (unreachable) is reported by its exit
  const startedMs = Date.now();
  const cancel = async () => {
    child.kill('SIGTERM');
    await child;
  };
  // rsync's own --timeout misses a receiver stopped while ssh still takes data (its window holds
  // megabytes, and rsync's keep-alives go through): once sending, an rsync that reports no progress
  // and says nothing for stallTimeout seconds is stopped too (progress2 reports about every second).
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const watch = () => {
    if (req.stallTimeout === undefined || stalled) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      child.kill('SIGTERM'); // rsync removes its temporary file
      // Its ssh, waiting on the stopped machine, may keep rsync's output open: let go of it.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, req.stallTimeout * 1000);
  };
  child.stderr?.on('data', () => timer !== undefined && watch());
  readProgress(child.stdout, req.onBytes, () => timer !== undefined && watch());
  return {
    async send(paths) {
      if (req.stallTimeout !== undefined && Date.now() - startedMs >= req.stallTimeout * 500) {
        await cancel();
        return startRsync(req).send(paths);
      }
      watch();
      child.stdin?.end(encodeFsText(paths.map((p) => `${p}\0`).join(''))); // names outside UTF-8: their own bytes
      const result = await child;
      clearTimeout(timer);
      if (stalled && req.stallTimeout !== undefined) return { ok: false, message: describeStall(req.stallTimeout) };
      const done = describeRsyncExit(result, req.stallTimeout);
      return done.ok && req.to.fixMtimes && !req.whole ? runTimesPass(req, paths) : done;
    },
    cancel,
  };
}

/**
 * rsync's arguments setting the times of listed paths already transferred, in place (no rename):
 * compared by content (`-c`), a file as sent is left as it is and only gets its times. One whose
 * content differs (saved there since) is never just written over: it is sent again, what was there
 * kept in the trash run under TIMES_PASS_KEPT; the look after the transfer then finds the path
 * not as sent (its mtime is the rename's) and reports the step, never done. rsync has no "times only" mode: a size or a size limit would skip a
 * file's times too, or write over a save.
 */
export function buildTimesPassArgs(req: Omit<RsyncRequest, 'paths'>): string[] {
  const args = ['-lt', '-d', '--no-perms', '-c', '-s', '--from0', '--files-from=-', '--no-implied-dirs', `--temp-dir=${TRANSFER_TEMP_DIR}`, ...buildTimeoutArgs(req)];
  // Its own folder in the trash run: what the transfer itself kept there (the replaced version) is never replaced.
  if (req.backupDir !== undefined) args.push('--backup', `--backup-dir=${req.backupDir}/${TIMES_PASS_KEPT}`, '--suffix=');
  if (req.from.kind === 'ssh' || req.to.kind === 'ssh') args.push('-e', buildRsyncRsh(req.sshOptions));
  args.push('--', buildRsyncLocation(req.from), buildRsyncLocation(req.to));
  return args;
}

/** The folder of a trash run where the times pass keeps a file saved after the transfer wrote it (then sent again). */
export const TIMES_PASS_KEPT = 'saved-after-transfer';

/**
 * After a transfer to a receiver where a renamed file loses its mtime (fusefat), the times again,
 * in place: without it every version sent there would look changed there, newer, at once.
 */
async function runTimesPass(req: Omit<RsyncRequest, 'paths'>, paths: readonly string[]): Promise<RsyncResult> {
  const result = await execa('rsync', buildTimesPassArgs(req), {
    input: encodeFsText(paths.map((p) => `${p}\0`).join('')),
    reject: false,
    encoding: 'utf8',
    ...(req.signal ? { cancelSignal: req.signal } : {}),
  });
  return describeRsyncExit(result, req.stallTimeout);
}

/** Runs one batched rsync and reports whether every listed path was transferred. */
export function runRsync(req: RsyncRequest): Promise<RsyncResult> {
  return startRsync(req).send(req.paths);
}

/** Passes the byte counts of rsync's --info=progress2 lines to `onBytes`; `onData` hears of any output. */
function readProgress(stdout: Readable | null, onBytes: ((bytes: number) => void) | undefined, onData: () => void): void {
  let carry = '';
  stdout?.setEncoding('utf8');
  stdout?.on('data', (text: string) => {
    onData();
    const parts = (carry + text).split(/[\r\n]/);
    carry = parts.pop() ?? '';
    for (const line of parts) {
      const m = PROGRESS.exec(line);
      if (m) onBytes?.(Number(m[1].replace(/,/g, '')));
    }
  });
}

/** ok, or rsync's reason for failing in a few words. */
function describeRsyncExit(result: { exitCode?: number; signal?: string; stderr?: unknown; isCanceled?: boolean }, stallTimeout?: number): RsyncResult {
  if (result.exitCode === 0) return { ok: true };
  if (result.isCanceled) return { ok: false, message: 'interrupted' };
  // 30: rsync's "timeout in data send/receive" (--timeout).
  if (result.exitCode === 30 && stallTimeout !== undefined) return { ok: false, message: describeStall(stallTimeout) };
  const stderr = String(result.stderr ?? '');
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const why =
    result.exitCode === 255 || /connection unexpectedly closed|ssh:/i.test(stderr)
      ? `unreachable (${classifySshFailure(stderr)})`
      : result.signal
        ? `rsync killed by ${result.signal}`
        : lines.slice(-2).join(' / ') || `rsync exit code ${result.exitCode}`;
  return { ok: false, message: why.slice(0, 400) };
}
