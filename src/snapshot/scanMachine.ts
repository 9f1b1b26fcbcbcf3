import type { MachineConfig, OsKind, UnreadableFolder } from '../types.js';
import { runScript, type ScriptSession, type ScriptTarget } from '../transport/runScript.js';
import { buildScanScript } from '../transport/scanScript.js';
import { readFindComplaints } from './findComplaints.js';
import { parseListing, ScanParser, type ScanOutput } from './parseScan.js';
import { parseSeenLine, type SeenLine } from '../state/seenLine.js';

/** One machine's scan: its output, or why it could not be had. */
export type MachineScan =
  | {
      readonly ok: true;
      readonly output: ScanOutput;
      readonly os?: OsKind;
      readonly clockOffsetMs: number;
      /** sha256 (hex) of the listing: computed here, or its seen line's when the machine answered "same". */
      readonly digest: string;
      /** The machine's seen line (state/seenLine.ts), when the scan asked for it and it had a well-formed one. */
      readonly seen?: SeenLine;
      readonly warnings: readonly string[];
      /** Folders find complained it could not read (those the listing marks are in `output.unreadable`). */
      readonly unreadable: readonly UnreadableFolder[];
    }
  | { readonly ok: false; readonly reason: string };

// ssh's own note when two machines share one ControlPath (same host, port and user) and both
// try to become the master at once: the loser connects without multiplexing. Not a scan problem.
const SSH_MUX_NOISE = /^ControlSocket .* already exists, disabling multiplexing$/;

/** Maps `uname -s` to the OS kinds blat knows. */
export function parseUname(uname: string): OsKind | undefined {
  const u = uname.trim().toLowerCase();
  return u === 'linux' ? 'linux' : u === 'darwin' ? 'darwin' : undefined;
}

/**
 * Scans (mode `tree`) or re-stats (mode `stat`) the given paths on one machine in a single
 * command, parsing the output as it streams in.
 */
export async function scanMachine(
  machine: MachineConfig,
  /** Where to run the scan, or a shell already started there for it. */
  target: ScriptTarget | ScriptSession,
  request: {
    readonly paths: readonly string[];
    readonly mode: 'tree' | 'stat';
    readonly exclude: readonly string[];
    /** The config's sync paths (anchored patterns, and those with a "/", are matched from them). */
    readonly syncPaths?: readonly string[];
    /** Root-relative paths blat owns (config.ownPaths), never listed. */
    readonly own?: readonly string[];
    readonly prepareDir?: string;
    /** Trash runs older than this run name are removed on the way. */
    readonly pruneTrashBefore?: string;
    /** Tree mode, with `base`: the machine's seen file in the set's folder; "same" while its listing has the digest it names (see buildScanScript). */
    readonly seen?: string;
    /** Keep the listing's bytes in `output.listing`. */
    readonly keepListing?: boolean;
    /** false: keep the listing's bytes without reading its records (see ScanParser). */
    readonly parse?: boolean;
    /** Stat mode: paths whose whole trees are listed too. */
    readonly trees?: readonly string[];
    /** Tree mode: a sha256 of every file too (see buildScanScript). */
    readonly checksum?: boolean;
    /** Tree mode: the machine's base of the set in `dir` too, unless its id is `have` (see buildScanScript). */
    readonly base?: { readonly dir: string; readonly have?: string };
  },
): Promise<MachineScan> {
  const script = buildScanScript({ root: machine.root, paths: request.paths, mode: request.mode, exclude: request.exclude, syncPaths: request.syncPaths, own: request.own, os: machine.os, prepareDir: request.prepareDir, pruneTrashBefore: request.pruneTrashBefore, seen: request.seen, trees: request.trees, checksum: request.checksum, base: request.base });
  const parser = new ScanParser({ keepListing: request.keepListing, parse: request.parse, base: request.mode === 'tree' && request.base !== undefined, seen: request.seen !== undefined });
  const startMs = Date.now();
  let clockOffsetMs = 0;
  parser.onClock = (clock) => {
    const arrived = Date.now();
    clockOffsetMs = Number.isFinite(clock) ? Math.round(clock * 1000 - (startMs + arrived) / 2) : 0;
  };
  let parseError: string | undefined;
  const onChunk = (chunk: Buffer) => {
    if (parseError) return;
    try {
      parser.push(chunk);
    } catch (err) {
      parseError = (err as Error).message;
    }
  };
  const result = await ('run' in target ? target.run(script, onChunk) : runScript(target, script, onChunk));
  if (result.unreachable) return { ok: false, reason: result.unreachable };
  if (parseError) return { ok: false, reason: parseError };
  const output = parser.finish();
  if (!output.complete) {
    const why = result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}`;
    return { ok: false, reason: `scan cut short: ${why}` };
  }
  const lines = result.stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !SSH_MUX_NOISE.test(l));
  // find's complaints are data: the folders it could not read (a start point not there is an absence).
  const { unreadable, other: warnings } = readFindComplaints(lines, [...request.paths, ...(request.trees ?? [])]);
  const seenLine = output.base?.seen ? parseSeenLine(output.base.seen) : undefined;
  if (output.unchanged && (seenLine === undefined || seenLine.digest === null)) return { ok: false, reason: 'scan answered "same" unasked' };
  const digest = output.unchanged ? seenLine!.digest! : output.listingDigest;
  return { ok: true, output, os: machine.os ?? parseUname(output.uname), clockOffsetMs, digest, warnings, unreadable, ...(seenLine ? { seen: seenLine } : {}) };
}

/**
 * The scan of a machine whose listing was kept unparsed, with its entries read; a failed scan when
 * the listing is not well formed. Other scans are returned as they are.
 */
export function parseKeptListing(scan: MachineScan, keepListing: boolean): MachineScan {
  // An unparsed scan has a listing and no entries (a parsed one of an empty tree re-reads nothing).
  if (!scan.ok || !scan.output.rootExists || scan.output.entries.size > 0 || scan.output.listing === undefined) return scan;
  try {
    const parsed = parseListing(scan.output.listing);
    // Folders it could not read are in the listing as records too: never to be taken for deletions.
    const output = { ...scan.output, entries: parsed.entries, skipped: parsed.skipped, unreadable: parsed.unreadable, listing: keepListing ? scan.output.listing : undefined };
    return { ...scan, output };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
