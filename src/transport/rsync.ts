import { execa } from 'execa';
import { encodeFsText } from '../fsText.js';
import { buildRsyncRsh } from './sshArgs.js';
import { classifySshFailure } from './sshFailure.js';

/**
 * Folder under each root where rsync writes files before renaming them into place, so that a
 * killed transfer leaves its partial file there, never beside the real one (where a scan would
 * take it for a new file). Created by the precheck; never under a sync path.
 */
export const TRANSFER_TEMP_DIR = '.blat-tmp';

/** One side of a transfer: a root folder here, or on an ssh destination. */
export type RsyncEndpoint = { readonly kind: 'local'; readonly root: string } | { readonly kind: 'ssh'; readonly host: string; readonly root: string };

export interface RsyncRequest {
  readonly from: RsyncEndpoint;
  readonly to: RsyncEndpoint;
  /** Relative paths, sent NUL-separated on stdin (never on a command line). */
  readonly paths: readonly string[];
  readonly sshOptions: readonly string[];
  /** Skip files that are newer on the receiver (a last guard against overwriting a newer version). */
  readonly update: boolean;
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
  readonly whole?: { readonly exclude: readonly string[]; readonly folder?: string };
}

export interface RsyncResult {
  readonly ok: boolean;
  /** rsync's own words when it failed (last lines of stderr). */
  readonly message?: string;
}

/** The rsync argument that names an endpoint's root (trailing slash: copy contents). */
export function buildRsyncLocation(end: RsyncEndpoint): string {
  const root = end.root.endsWith('/') ? end.root : `${end.root}/`;
  // With --secluded-args (-s) the remote side receives the path verbatim: no shell splitting.
  return end.kind === 'local' ? root : `${end.host}:${root}`;
}

/** rsync's arguments for one batch: times, modes and links kept, no owner/group, list on stdin. */
export function buildRsyncArgs(req: RsyncRequest): string[] {
  if (req.whole?.folder !== undefined) {
    const args = ['-a', '--no-owner', '--no-group', '-s', '--info=progress2', ...req.whole.exclude.map((p) => `--exclude=${p}`)];
    if (req.from.kind === 'ssh' || req.to.kind === 'ssh') args.push('-e', buildRsyncRsh(req.sshOptions));
    args.push('--', `${buildRsyncLocation(req.from)}${req.whole.folder}/`, buildRsyncLocation(req.to));
    return args;
  }
  const args = ['-a', '--no-owner', '--no-group', '-s', '--from0', '--files-from=-', '--info=progress2'];
  if (req.whole) {
    // Into an empty staging folder: as fast as rsync -a, partial files only ever inside it.
    args.push('-r', ...req.whole.exclude.map((p) => `--exclude=${p}`));
  } else {
    args.push('--no-inc-recursive', `--temp-dir=${TRANSFER_TEMP_DIR}`,
      // Never replace a folder the receiver has as a symlink (rsync would, to recreate an implied parent).
      '--no-implied-dirs');
    if (req.update) args.push('--update');
  }
  if (req.from.kind === 'ssh' || req.to.kind === 'ssh') args.push('-e', buildRsyncRsh(req.sshOptions));
  // `--` ends the options: a root can never be taken for one.
  args.push('--', buildRsyncLocation(req.from), buildRsyncLocation(req.to));
  return args;
}

const PROGRESS = /^\s*([\d,]+)\s+\d+%/;

/** Runs one batched rsync and reports whether every listed path was transferred. */
export async function runRsync(req: RsyncRequest): Promise<RsyncResult> {
  const input = encodeFsText(req.paths.map((p) => `${p}\0`).join('')); // names outside UTF-8: their own bytes
  const child = execa('rsync', buildRsyncArgs(req), { input, reject: false, buffer: { stdout: false, stderr: true }, encoding: 'utf8' });
  req.onStart?.(child.pid);
  let carry = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    const parts = (carry + text).split(/[\r\n]/);
    carry = parts.pop() ?? '';
    for (const line of parts) {
      const m = PROGRESS.exec(line);
      if (m) req.onBytes?.(Number(m[1].replace(/,/g, '')));
    }
  });
  const result = await child;
  if (result.exitCode === 0) return { ok: true };
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
