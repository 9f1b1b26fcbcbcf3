import { buildMachineExcludes } from '../config/excludes.js';
import { buildPlan } from '../plan/buildPlan.js';
import { addChecksumConflicts } from '../plan/checksums.js';
import { countHeldFiles } from '../plan/guards.js';
import { countIdenticalPaths, isIdenticalSnapshot, isUniformSnapshot } from '../plan/uniform.js';
import { escapeControls, sanitizeForTerminal } from '../escape.js';
import { BlatError } from '../errors.js';
import { findUnheldTargets } from '../plan/unheldTargets.js';
import { readBase } from '../state/base.js';
import { readInSyncListing, readInSyncMemo, writeInSyncMemo, type InSyncMemo } from '../state/inSyncMemo.js';
import { readMachineStates, updateMachineStates, writeMachineStates } from '../state/machineState.js';
import { parseListing } from '../snapshot/parseScan.js';
import { diffListing, type ListingDiff } from '../snapshot/listingDiff.js';
import { buildPartialParts } from '../snapshot/partialSnapshot.js';
import { parseKeptListing, type MachineScan } from '../snapshot/scanMachine.js';
import { assembleSnapshot, observeScans, scanMachines, type MachineScans, type Observation, type ScanRequest } from '../snapshot/scanSnapshot.js';
import { adoptPartialBase, withCoverage } from '../state/base.js';
import { readSyncedListingFile, readSyncedRecord, type SyncedListingKey, type SyncedListingRecord } from '../state/syncedListing.js';
import type { Base, Config, Entry, MachineObservation, Plan, PlanOptions, Snapshot } from '../types.js';
import { buildSetDir } from '../config/setName.js';
import { readBaseIds } from '../state/baseIds.js';
import { recordMachineBases } from '../state/recordMachineBases.js';
import { buildBaseFromMachines, readMachineBases, type MachineBases } from '../snapshot/machineBases.js';
import { readySshOptions, type RunContext } from './context.js';
import type { CommandIO } from './io.js';

export interface PlanRun {
  readonly plan: Plan;
  /**
   * What the plan was built from: every entry scanned, or (Snapshot.partial) only the paths left to
   * decide — none when the in-sync memo answered for every machine (`needBase: false`).
   */
  readonly snapshot: Snapshot;
  /** The base the plan was built with; null when it was not needed and not read (`needBase: false`). Partial with a partial snapshot. */
  readonly base: Base | null;
  readonly sshOptions: readonly string[];
  /** Self's listing as scanned, and the key of a synced listing (for an apply to record one); absent when not kept. */
  readonly selfListing?: { readonly listing: Buffer; readonly digest: string; readonly key: SyncedListingKey };
  /** What the scans said of each machine's own base (for an apply to write their successors). */
  readonly machineBases: MachineBases;
}

/** How scanAndPlan reads the machines. */
export interface ScanAndPlanOptions {
  /** Read the base even when it cannot change the plan (apply writes its successor). Default true. */
  readonly needBase?: boolean;
  /**
   * With a synced listing in place (state/syncedListing.ts), compare the machines' listings with
   * it and plan only the paths that differ (a partial snapshot), without reading the base.
   */
  readonly useSynced?: boolean;
  /** Told, in one line, how the machines were compared (for --verbose). */
  readonly report?: (line: string) => void;
  /**
   * `plan --checksum`: every machine also hashes every file under the paths (in the scan's round
   * trip), and copies alike by size and mtime but not by content are conflicts. Every listing is
   * read (no in-sync memo, no synced listing) and no memo is recorded.
   */
  readonly checksum?: boolean;
  /** Machines to take as new whatever their roots hold (`--new`): their bases are empty, and an emptied or unrecorded root is not refused. */
  readonly newMachines?: ReadonlySet<string>;
}

/**
 * Scans every machine once, reads the base, builds the plan, and records the observed
 * machine states in state.json. Scan warnings go to stderr. With `needBase: false` (plan
 * only) the base is not read when the snapshot is uniform: it could not change the plan;
 * and when every machine's listing is still the one the in-sync memo recorded, no entries
 * are read either. With `useSynced` and a synced listing in place, the listings are compared
 * with it and only the paths that differ are read and planned (a partial snapshot and base),
 * unless something is out of the ordinary (a machine offline, a scan warning), when every
 * listing is read after all. A scan that finds every machine identical records the memo.
 */
export async function scanAndPlan(ctx: RunContext, options: PlanOptions, io: CommandIO, how: ScanAndPlanOptions = {}): Promise<PlanRun> {
  const { config } = ctx;
  const needBase = how.needBase !== false;
  const sshOptions = await readySshOptions(config);
  const scanned = config.machines.filter((m) => m.state !== 'outofuse').map((m) => m.name);
  const key = { configDigest: config.digest, self: ctx.self.name, paths: ctx.targets, machines: scanned };
  const inSync = how.checksum ? null : await readInSyncMemo(config.stateDir, key);
  // A plan takes the in-sync memo first (nothing is sent back while nothing changed); an apply
  // the synced listing (it is there after an apply, and compares whatever changed cheaply).
  const synced = how.useSynced && !how.checksum && (needBase || !inSync) ? await readSyncedRecord(config.stateDir, key) : null;
  // With a synced listing every listing is wanted, to be compared with it as soon as it is here.
  const memo = synced ? null : inSync;
  const reference = synced ? readSyncedListingFile(config.stateDir, synced) : null;
  const diffs: Promise<ListingDiff | null>[] = [];
  const setDir = buildSetDir(config.setName);
  const have = await readBaseIds(config.stateDir, config.setName);
  const req: ScanRequest = {
    config,
    self: ctx.self.name,
    paths: ctx.targets,
    sshOptions,
    expect: memo ? new Map(Object.entries(memo.machines)) : undefined,
    keepListingOf: ctx.self.name,
    unparsed: synced !== null,
    checksum: how.checksum,
    bases: { dir: setDir, have: have ?? new Map() },
    onScanned: reference && synced ? (i, scan) => void (diffs[i] = reference.then((ref) => diffScan(ref, scan, synced.records))) : undefined,
  };
  // Apply's base is read while the machines are scanned (it is parsed in the gaps between their output).
  const cachedRead = needBase && !synced ? readBase(config.stateDir) : null;
  cachedRead?.catch(() => undefined); // its failure is reported where it is awaited
  const [firstScans, previous] = await Promise.all([scanMachines(req), readMachineStates(config.stateDir, config.machines.map((m) => m.name))]);
  const takenAtMs = Date.now();
  let scans = firstScans;
  const names = config.machines.map((m) => m.name);
  const wholePaths = ctx.targets.filter((t) => config.paths.includes(t));
  /** The scans' observation, and what they said of the machines' bases (machines whose base is lost or damaged taken out). */
  const observe = (from: MachineScans): { observed: Observation; bases: MachineBases } => {
    const first = observeScans(config, ctx.self.name, from);
    const read = readMachineBases(names, from, (n) => first.machines[names.indexOf(n)].status === 'online', have, how.newMachines ?? new Set(), wholePaths, setDir);
    return { observed: leaveOutMachines(config, ctx.self.name, first, read), bases: read };
  };
  let { observed, bases: machineBases } = observe(scans);
  const sent = [...machineBases.found].filter(([, f]) => f.kind === 'sent').map(([n]) => n);
  if (sent.length > 0) how.report?.(`bases of a sync this controller has no copy of, sent by ${sent.join(', ')}\n`);
  /** The controller's copy as read (once), for the machines' bases to be laid over. */
  let copy: Promise<Base> | null = cachedRead;
  const readCopy = (): Promise<Base> => (copy ??= readBase(config.stateDir));
  const readPlanBase = async (): Promise<Base> => buildBaseFromMachines(await readCopy(), machineBases);
  const baseRead = cachedRead ? cachedRead.then((b) => buildBaseFromMachines(b, machineBases)) : null;
  const selfIndex = config.machines.findIndex((m) => m.name === ctx.self.name);
  const selfScan = scans[selfIndex];
  const selfListing = selfScan?.ok && selfScan.output.listing && selfScan.digest ? { listing: selfScan.output.listing, digest: selfScan.digest, key } : undefined;
  const partial = synced && observed.warnings.length === 0 && machineBases.cached ? buildPartialRun(synced, await Promise.all(diffs), scans, observed, req, takenAtMs) : null;
  if (partial) {
    how.report?.(`compared with the synced listing: ${partial.snapshot.partial!.alike} paths alike everywhere, ${partial.paths} planned one by one\n`);
  } else if (synced) {
    // Something out of the ordinary (a machine offline, a warning, a special file): read every listing.
    how.report?.('the synced listing cannot stand for every machine this time: every listing is read\n');
    scans = scans.map((scan, i) => (scan === null ? null : parseKeptListing(scan, i === selfIndex)));
    ({ observed, bases: machineBases } = observe(scans));
  }
  for (const w of observed.warnings) io.stderr(`warning: ${sanitizeForTerminal(w)}\n`);
  await writeMachineStates(config.stateDir, updateMachineStates(previous, observed.machines, takenAtMs));

  if (partial) await checkTargetsHeld(ctx, partial.snapshot, partial.base, io, readPlanBase);
  if (partial) {
    const plan = buildPlan({ configDigest: config.digest, snapshot: partial.snapshot, base: partial.base, options, nowMs: io.now(), excludedOn: buildMachineExcludes(config) });
    // Alike on the paths that differ from the synced listing, so alike everywhere: the next plan may take the memo.
    if (isIdenticalSnapshot(partial.snapshot)) await recordInSync(ctx, null, scans, plan);
    return { plan, snapshot: partial.snapshot, base: partial.base, sshOptions, selfListing, machineBases };
  }

  if (memo && !needBase && observed.unchanged.length === scanned.length) {
    // Every machine still holds the listing the memo says was alike everywhere: nothing left to decide.
    const snapshot = buildAlikeSnapshot(ctx, observed.machines, observed.digest, takenAtMs, memo.inSync, new Map());
    const plan = buildPlan({ configDigest: config.digest, snapshot, base: new Map(), options, nowMs: io.now() });
    return { plan, snapshot, base: null, sshOptions, machineBases };
  }

  let finalScans = scans;
  let unchangedEntries: ReadonlyMap<string, Entry> | undefined;
  if (memo && observed.unchanged.length > 0) {
    const listing = await readInSyncListing(config.stateDir, memo);
    if (listing) unchangedEntries = parseListing(listing).entries;
    else finalScans = await rescanUnchanged(req, scans, observed.unchanged); // the listing file was lost: ask again
  }
  const listingLost = finalScans !== scans;
  const finalObserved = finalScans === scans ? observed : leaveOutMachines(config, ctx.self.name, observeScans(config, ctx.self.name, finalScans), machineBases);
  const snapshot = assembleSnapshot(req, finalScans, finalObserved, takenAtMs, unchangedEntries);
  // Identical implies uniform: one walk over the entries in the usual, synced case.
  const identical = isIdenticalSnapshot(snapshot);
  const base = baseRead ? await baseRead : identical || isUniformSnapshot(snapshot, options) ? null : await readPlanBase();
  await checkTargetsHeld(ctx, snapshot, base, io, readPlanBase);
  // Identical machines: nothing to do whatever the base says, every path alike (one walk fewer).
  const planned = identical
    ? buildPlan({ configDigest: config.digest, snapshot: buildAlikeSnapshot(ctx, snapshot.machines, snapshot.digest, takenAtMs, countIdenticalPaths(snapshot), countHeldFiles(snapshot)), base: new Map(), options, nowMs: io.now() })
    : buildPlan({ configDigest: config.digest, snapshot, base: base ?? new Map(), options, nowMs: io.now(), excludedOn: buildMachineExcludes(config) });
  const plan = how.checksum ? addChecksumConflicts(planned, snapshot, options.modifyWindow) : planned;
  if (identical && finalObserved.warnings.length === 0 && !how.checksum) await recordInSync(ctx, listingLost ? null : memo, finalScans, plan);
  // A plan (an apply writes its own) keeps what the machines sent, so the next plan need not ask for it again.
  if (!needBase && !machineBases.cached) {
    const read = await readCopy().catch(() => null);
    if (read !== null) await recordMachineBases(config, have, read, base ?? buildBaseFromMachines(read, machineBases), machineBases);
  }
  return { plan, snapshot, base, sshOptions, selfListing, machineBases };
}

/**
 * Refuses path arguments that name nothing (no machine holds anything there, the base knows
 * nothing there): one line naming them, exit 1. When an offline machine, or a folder a scan could
 * not read, may hold one, it is said on stderr instead and the run goes on. Whole sync paths are
 * not checked: one empty everywhere is in sync.
 */
async function checkTargetsHeld(ctx: RunContext, snapshot: Snapshot, base: Base | null, io: CommandIO, readPlanBase: () => Promise<Base>): Promise<void> {
  if (!ctx.narrowed) return;
  const targets = ctx.targets.filter((t) => !ctx.config.paths.includes(t));
  let found = findUnheldTargets(targets, snapshot, base);
  // The base was not needed for the plan: read now, only for what no machine holds.
  if (base === null && found.missing.length + found.unknown.length > 0) found = findUnheldTargets(targets, snapshot, await readPlanBase());
  const offline = snapshot.machines.filter((m) => m.status === 'offline').map((m) => m.name);
  for (const t of found.unknown) {
    const why = offline.length > 0 ? `${offline.join(', ')} ${offline.length === 1 ? 'is' : 'are'} offline and may hold it` : 'a folder above or under it could not be read';
    io.stderr(`warning: ${escapeControls(t)}: no machine that answered holds it (${why})\n`);
  }
  if (found.missing.length > 0) {
    const names = found.missing.map(escapeControls).join(', ');
    throw new BlatError(`${names}: no machine holds ${found.missing.length === 1 ? 'it' : 'them'} and the last sync knew nothing there (a typo?)`);
  }
}

/**
 * The partial snapshot and base of scans compared with the synced listing; null when they cannot
 * be had that way (a machine not online, a listing not well formed, a special file).
 */
function buildPartialRun(
  synced: SyncedListingRecord,
  diffs: readonly (ListingDiff | null | undefined)[],
  scans: MachineScans,
  observed: Observation,
  req: ScanRequest,
  takenAtMs: number,
): { snapshot: Snapshot; base: Base; paths: number } | null {
  const names: string[] = [];
  const found: ListingDiff[] = [];
  for (let i = 0; i < scans.length; i++) {
    if (scans[i] === null) continue;
    const diff = diffs[i];
    if (!diff || observed.machines[i].status !== 'online') return null;
    found.push(diff);
    names.push(req.config.machines[i].name);
  }
  const parts = buildPartialParts(names, found, synced);
  if (parts === null) return null;
  // The apply that recorded the synced listing had every one of them online and covered them for these paths.
  const base = withCoverage(parts.base, new Map(names.map((n) => [n, req.paths])));
  adoptPartialBase(base, synced.base);
  const snapshot: Snapshot = Object.freeze({
    self: req.self,
    paths: Object.freeze([...req.paths]),
    machines: observed.machines,
    entries: parts.entries,
    takenAtMs,
    digest: observed.digest,
    partial: parts.info,
  });
  return { snapshot, base, paths: parts.paths };
}

/**
 * A machine's listing compared with the synced one (of `records` records); null when there is none
 * to compare, when it is not well formed (it is then read whole, and its fault reported as usual),
 * or when so much of it changed that reading it whole is cheaper.
 */
function diffScan(reference: Buffer | null, scan: MachineScan, records: number): ListingDiff | null {
  if (reference === null || !scan.ok || !scan.output.rootExists || scan.output.listing === undefined) return null;
  try {
    return diffListing(reference, scan.output.listing, Math.max(1000, records / 4));
  } catch {
    return null;
  }
}

/** The scans again, without expectations, for the machines that answered "same". */
async function rescanUnchanged(req: ScanRequest, scans: MachineScans, unchanged: readonly string[]): Promise<MachineScans> {
  const again = await scanMachines({
    ...req,
    config: { ...req.config, machines: req.config.machines.map((m) => (unchanged.includes(m.name) ? m : { ...m, state: 'outofuse' as const })) },
    expect: undefined,
  });
  return scans.map((s, i) => again[i] ?? s);
}

/** Records the in-sync memo for these scans, unless `memo` (the one in place, null if none or its listing is lost) already says the same. */
async function recordInSync(ctx: RunContext, memo: InSyncMemo | null, scans: MachineScans, plan: Plan): Promise<void> {
  const machines: Record<string, string> = {};
  let listing: Buffer | null = null;
  let selfDigest = '';
  ctx.config.machines.forEach((m, i) => {
    const scan = scans[i];
    if (!scan?.ok) return;
    machines[m.name] = scan.digest;
    if (m.name === ctx.self.name) {
      selfDigest = scan.digest;
      listing = scan.output.listing ?? null;
    }
  });
  if (memo && Object.entries(machines).every(([name, d]) => memo.machines[name] === d) && Object.keys(memo.machines).length === Object.keys(machines).length) return;
  const keepListing = memo !== null && memo.machines[ctx.self.name] === selfDigest;
  const bytes = keepListing ? memo.listingBytes : (listing as Buffer | null)?.length;
  if (bytes === undefined) return; // self answered "same" to another memo: nothing to record from
  // A cache: a state directory that cannot take it only costs the next plan its speed.
  await writeInSyncMemo(
    ctx.config.stateDir,
    { format: 1, configDigest: ctx.config.digest, self: ctx.self.name, paths: [...ctx.targets], machines, inSync: plan.inSync, listingBytes: bytes },
    keepListing ? null : listing,
  ).catch(() => undefined);
}

/**
 * The observation with the machines whose base is lost (not the disk that was synced) or damaged
 * taken out of the run: offline, their root not usable, the reason said. Self may not be one.
 */
function leaveOutMachines(config: Config, self: string, observed: Observation, bases: MachineBases): Observation {
  const reasons = new Map(bases.damaged);
  for (const [name, f] of bases.found) if (f.kind === 'lost') reasons.set(name, f.reason);
  if (reasons.size === 0) return observed;
  const why = reasons.get(self);
  if (why !== undefined) throw new BlatError(`self (${self}): ${why}`);
  const machines = observed.machines.map((m): MachineObservation => {
    const reason = reasons.get(m.name);
    return reason === undefined ? m : Object.freeze({ name: m.name, status: 'offline', reason, ...(m.os ? { os: m.os } : {}), rootMissing: true });
  });
  const warnings = [...observed.warnings.filter((w) => ![...reasons.keys()].some((n) => w.startsWith(`${n}: `))), ...[...reasons].map(([n, r]) => `${n}: ${r}`)];
  return { ...observed, machines: Object.freeze(machines), warnings, unchanged: observed.unchanged.filter((n) => !reasons.has(n)) };
}

/**
 * The snapshot of machines that hold `alike` paths alike everywhere and nothing else to decide
 * (Snapshot.partial with no entries): what the planner gets when a cache (the in-sync memo, or a
 * scan found identical) says so. `files`: each machine's file count, where known.
 */
function buildAlikeSnapshot(ctx: RunContext, machines: readonly MachineObservation[], digest: string, takenAtMs: number, alike: number, files: ReadonlyMap<string, number>): Snapshot {
  const entries = new Map<string, ReadonlyMap<string, Entry>>(machines.filter((m) => m.status === 'online').map((m) => [m.name, new Map()]));
  return Object.freeze({ self: ctx.self.name, paths: Object.freeze([...ctx.targets]), machines, entries, takenAtMs, digest, partial: { alike, files } });
}
