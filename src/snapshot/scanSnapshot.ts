import { machineExcludes } from '../config/excludes.js';
import { createHash } from 'node:crypto';
import { BlatError } from '../errors.js';
import type { Config, Entry, MachineObservation, Snapshot, UnreadableFolder } from '../types.js';
import { mergeUnreadable } from './findComplaints.js';
import { buildScriptTarget } from '../transport/targets.js';
import { scanMachine, type MachineScan } from './scanMachine.js';
import { BASE_CHANGED } from './parseScan.js';

export interface ScanRequest {
  readonly config: Config;
  readonly self: string;
  /** Sync paths to scan (already narrowed by path arguments). */
  readonly paths: readonly string[];
  /** ssh options from buildSshOptions (with the control socket directory). */
  readonly sshOptions: readonly string[];
  /** With `bases`: each machine's seen file (state/seenLine.ts): a machine answers "same" while its listing has the digest it names. */
  readonly seen?: string;
  /** Keep this machine's listing bytes (for the controller's copy of a seen token's listing). */
  readonly keepListingOf?: string;
  /** Keep every machine's listing unparsed (to be compared with the controller's copy of a seen token's listing; see parseKeptListing). */
  readonly unparsed?: boolean;
  /** A sha256 of every file too, on every machine (`plan --checksum`); not with `expect` nor `unparsed`. */
  readonly checksum?: boolean;
  /**
   * Learn each machine's base of the set (in `dir`, see state/machineBase.ts) in the same round
   * trip: its body is sent unless its id is the one `have` names for it (the controller's copy).
   */
  readonly bases?: { readonly dir: string; readonly have: ReadonlyMap<string, string> };
  /** Called with each machine's scan (config index) as soon as it is done. */
  readonly onScanned?: (index: number, scan: MachineScan) => void;
}

/** Every configured machine's scan, config order; null for an outofuse machine. */
export type MachineScans = readonly (MachineScan | null)[];

/** What the scans say about the machines, before (or without) their entries. */
export interface Observation {
  /** One per configured machine, config order. */
  readonly machines: readonly MachineObservation[];
  /** sha256 (hex) over every machine's status and listing digest. */
  readonly digest: string;
  /** Non-fatal complaints of the scans (unreadable folders…), one line each, prefixed by machine. */
  readonly warnings: readonly string[];
  /** Online machines that answered "same" (their listing has the digest their seen line names). */
  readonly unchanged: readonly string[];
  /** Online machine → the folders its scan could not read (only machines with some). */
  readonly unreadable: ReadonlyMap<string, readonly UnreadableFolder[]>;
}

export interface ScanResult {
  readonly snapshot: Snapshot;
  readonly warnings: readonly string[];
}

/** Scans every machine that is not out of use, all at once, one command each. */
export async function scanMachines(req: ScanRequest): Promise<MachineScans> {
  const { config, self } = req;
  return Promise.all(
    config.machines.map(async (m, i) => {
      if (m.state === 'outofuse') return null;
      const once = () => scanMachine(m, buildScriptTarget(m, self, req.sshOptions, { stallTimeout: config.stallTimeout }), {
        paths: req.paths,
        mode: 'tree',
        exclude: machineExcludes(config, m),
        syncPaths: config.paths,
        own: config.ownPaths,
        seen: req.bases ? req.seen : undefined,
        keepListing: req.keepListingOf === m.name,
        parse: !req.unparsed,
        checksum: req.checksum,
        base: req.bases ? { dir: req.bases.dir, have: req.bases.have.get(m.name) } : undefined,
      });
      let scan = await once();
      // Another blat's apply replaced the machine's base while it was read: read it again, once.
      if (!scan.ok && scan.reason === BASE_CHANGED) scan = await once();
      req.onScanned?.(i, scan);
      return scan;
    }),
  );
}

/** What a machine whose root does not exist is said to be. */
export function buildRootMissingReason(root: string): string {
  return `root missing: disk not mounted, or a wrong root? (${root})`;
}

/** The machines' statuses, warnings and digest from their scans. Unreachable machines are offline; self must answer. */
export function observeScans(config: Config, self: string, scans: MachineScans): Observation {
  const machines: MachineObservation[] = [];
  const warnings: string[] = [];
  const unchanged: string[] = [];
  const unreadable = new Map<string, readonly UnreadableFolder[]>();
  const digest = createHash('sha256');
  config.machines.forEach((m, i) => {
    const scan = scans[i];
    let obs: MachineObservation;
    if (scan === null) {
      obs = { name: m.name, status: 'outofuse' };
    } else if (!scan.ok) {
      if (m.name === self) throw new BlatError(`cannot scan self (${m.name}): ${scan.reason}`);
      obs = { name: m.name, status: 'offline', reason: scan.reason };
    } else if (!scan.output.rootExists) {
      if (m.name === self) throw new BlatError(`self (${m.name}): root ${m.root} does not exist`);
      obs = { name: m.name, status: 'offline', reason: buildRootMissingReason(m.root), os: scan.os, rootMissing: true };
    } else {
      obs = { name: m.name, status: 'online', os: scan.os, clockOffsetMs: scan.clockOffsetMs };
      if (scan.output.unchanged) unchanged.push(m.name);
      for (const w of scan.warnings) warnings.push(`${m.name}: ${w}`);
      const folders = mergeUnreadable(scan.unreadable, scan.output.unreadable.map((path) => ({ path, reason: 'permission denied' })));
      if (folders.length > 0) unreadable.set(m.name, Object.freeze(folders));
      for (const u of folders) {
        warnings.push(`${m.name}: could not read ${u.path} (${u.reason}): left alone on every machine`);
        digest.update(`u\0${u.path}\0`);
      }
      if (scan.output.skipped > 0) warnings.push(`${m.name}: ${scan.output.skipped} special files (sockets, fifos, devices) left alone`);
      digest.update(`${m.name}\0${scan.digest}\0`);
    }
    digest.update(`${m.name}\0${obs.status}\0`);
    machines.push(Object.freeze(obs));
  });
  return { machines: Object.freeze(machines), digest: digest.digest('hex'), warnings, unchanged, unreadable };
}

/**
 * The frozen Snapshot of the scans. Machines that answered "same" are given their entries in
 * `unchangedEntries` (what they held when their seen line was written), which are then required.
 */
export function assembleSnapshot(
  req: ScanRequest,
  scans: MachineScans,
  observed: Observation,
  takenAtMs: number,
  unchangedEntries?: ReadonlyMap<string, ReadonlyMap<string, Entry>>,
): Snapshot {
  const entries = new Map<string, ReadonlyMap<string, Entry>>();
  const sums = new Map<string, ReadonlyMap<string, string>>();
  req.config.machines.forEach((m, i) => {
    const scan = scans[i];
    if (observed.machines[i].status !== 'online' || !scan?.ok) return;
    if (req.checksum) sums.set(m.name, scan.output.sums ?? new Map());
    if (!scan.output.unchanged) entries.set(m.name, scan.output.entries);
    else if (unchangedEntries?.has(m.name)) entries.set(m.name, unchangedEntries.get(m.name)!);
    else throw new Error(`${m.name} answered "same" but no entries were given for it`);
  });
  return Object.freeze({
    self: req.self,
    paths: Object.freeze([...req.paths]),
    machines: observed.machines,
    entries,
    takenAtMs,
    digest: observed.digest,
    ...(observed.unreadable.size > 0 ? { unreadable: observed.unreadable } : {}),
    ...(req.checksum ? { sums } : {}),
  });
}

/**
 * Scans every machine that is not out of use, all at once, one command each, into a frozen
 * Snapshot. Unreachable machines become offline observations; self must answer.
 */
export async function scanSnapshot(req: ScanRequest): Promise<ScanResult> {
  const scans = await scanMachines({ ...req, seen: undefined });
  const observed = observeScans(req.config, req.self, scans);
  return { snapshot: assembleSnapshot(req, scans, observed, Date.now()), warnings: observed.warnings };
}
