// The one observation step: every machine scanned once, each machine's own base learned in the same
// round trip, and what is left to decide handed to the planner in one shape, whichever cache served it.
import { buildSetDir } from '../config/setName.js';
import { sanitizeForTerminal } from '../escape.js';
import { countHeldFiles } from '../plan/guards.js';
import { countIdenticalPaths, isIdenticalSnapshot, isUniformSnapshot } from '../plan/uniform.js';
import { buildBaseFromMachines, readMachineBases, type MachineBases } from '../snapshot/machineBases.js';
import { parseListing } from '../snapshot/parseScan.js';
import type { ListingDiff } from '../snapshot/listingDiff.js';
import { parseKeptListing } from '../snapshot/scanMachine.js';
import { assembleSnapshot, observeScans, scanMachines, type MachineScans, type Observation, type ScanRequest } from '../snapshot/scanSnapshot.js';
import { findBaseOrigin, isBaseAt, readBase } from '../state/base.js';
import { readBaseIds } from '../state/baseIds.js';
import { buildSeenFileName } from '../state/seenLine.js';
import { readSeenListingFile, readSeenRecord, type SeenListingRecord } from '../state/seenListing.js';
import { readMachineStates, updateMachineStates, writeMachineStates } from '../state/machineState.js';
import { recordMachineBases } from '../state/recordMachineBases.js';
import type { Base, Entry, PlanOptions, Snapshot } from '../types.js';
import { readySshOptions, type RunContext } from '../commands/context.js';
import type { CommandIO } from '../commands/io.js';
import { buildAlikeSnapshot } from './alikeSnapshot.js';
import { isBaseOfListing, isCoveredFor } from '../snapshot/baseOfListing.js';
import { recordSeen, type SeenContext } from './seenRecord.js';
import { leaveOutMachines } from './leaveOut.js';
import { buildPartialRun, diffScan } from './partialRun.js';
import { checkTargetsHeld } from './targetsHeld.js';
import { sameList } from '../sameList.js';

/** How the machines are observed. */
export interface ObserveOptions {
  /** Read the base even when it cannot change the plan (apply writes its successor). Default true. */
  readonly needBase?: boolean;
  /** Told, in one line, how the machines were compared (for --verbose). */
  readonly report?: (line: string) => void;
  /**
   * `plan --checksum`: every machine also hashes every file under the paths (in the scan's round
   * trip). Every listing is read (no seen lines) and no seen line is written.
   */
  readonly checksum?: boolean;
  /** Machines to take as new whatever their roots hold (`--new`): their bases are empty, and an emptied or unrecorded root is not refused. */
  readonly newMachines?: ReadonlySet<string>;
}

/**
 * What the machines hold, in one shape whichever cache served it. `decide` and `base` are what the
 * planner gets: every entry scanned, or (Snapshot.partial) only the paths left to decide — none when
 * every machine is known alike — with how many paths are alike everywhere and each machine's file
 * count. `scanned` is what an apply builds the next base from (the entries read: all, or the partial
 * ones), and `scannedBase` the base read with them (null when it was not needed and not read).
 */
export interface Observed {
  readonly decide: Snapshot;
  /** The base of `decide`'s paths (empty when it could not change the plan). */
  readonly base: Base;
  readonly scanned: Snapshot;
  readonly scannedBase: Base | null;
  readonly sshOptions: readonly string[];
  /** The scans and the seen copy, for an apply that leaves every machine alike to write their seen lines (apply/seenAfterApply.ts). */
  readonly seen: SeenContext;
  /** What the scans said of each machine's own base (for an apply to write their successors). */
  readonly machineBases: MachineBases;
}

/**
 * Scans every machine once (learning each machine's base and seen line in the same round trip),
 * records the observed machine states in state.json, and says what is left to decide. Scan
 * warnings go to stderr. When every machine answers "same" under one seen token
 * (state/seenLine.ts), a plan reads nothing: they are still alike. When the controller's copy of
 * that token's listing stands for the base (its base.json has not been written since), the
 * listings of the machines that changed are compared with it and only the paths that differ are
 * read (a partial snapshot, whose base is the copy's entries: the base is not read); a machine
 * answering "same" while others changed is given the copy's entries (or scanned again, without its
 * seen line, when the controller has no copy of its token). Anything out of the ordinary (a
 * machine offline, a scan warning, another token, a machine's base not the controller's copy)
 * makes every listing read. With `needBase: false` (plan only) the base is not read when the
 * snapshot is uniform (it could not change the plan). A scan that finds every machine identical
 * writes their seen lines. `options` says what "uniform" means (windows, perms).
 */
export async function observeMachines(ctx: RunContext, options: PlanOptions, io: CommandIO, how: ObserveOptions = {}): Promise<Observed> {
  const { config } = ctx;
  const needBase = how.needBase !== false;
  const sshOptions = await readySshOptions(config);
  const scanned = config.machines.filter((m) => m.state !== 'outofuse').map((m) => m.name);
  const seenFile = buildSeenFileName(ctx.targets);
  // The machine whose listing is kept: self, or for a controller (no machine is self) the first scanned.
  const keeper = config.machines.some((m) => m.name === ctx.self.name) ? ctx.self.name : scanned[0];
  const cachedSeen = how.checksum ? null : await readSeenRecord(config.stateDir);
  // The copy stands for the base (of the paths scanned) while nothing has written the base since.
  const reference = cachedSeen?.base && sameList(cachedSeen.paths, ctx.targets) && (await isBaseAt(config.stateDir, cachedSeen.base)) ? cachedSeen : null;
  // Its listing is read at once by an apply (it is there to change something), by a plan once a
  // machine sends a listing to compare with it (none does when nothing changed).
  let referenceBytes: Promise<Buffer | null> | undefined;
  const readReference = (): Promise<Buffer | null> => (referenceBytes ??= readSeenListingFile(config.stateDir, reference!));
  if (reference && needBase) void readReference();
  const diffs: Promise<ListingDiff | null>[] = [];
  const setDir = buildSetDir(config.setName);
  const have = await readBaseIds(config.stateDir, config.setName);
  const req: ScanRequest = {
    config,
    self: ctx.self.name,
    paths: ctx.targets,
    sshOptions,
    seen: how.checksum ? undefined : seenFile,
    keepListingOf: keeper,
    unparsed: reference !== null,
    checksum: how.checksum,
    bases: { dir: setDir, have: have ?? new Map() },
    onScanned: reference
      ? (i, scan) => {
          // Only a machine found alike under that token has a listing to compare with its listing.
          if (scan.ok && !scan.output.unchanged && scan.seen?.token === reference.token) diffs[i] = readReference().then((ref) => diffScan(ref, scan, scan.ok ? (scan.seen?.paths ?? 0) : 0));
        }
      : undefined,
  };
  // The controller's copy of the bases is read while the machines are scanned (parsed in the gaps between their output).
  let copy: Promise<Base> | null = needBase && !reference ? readBase(config.stateDir) : null;
  copy?.catch(() => undefined); // its failure is reported where it is awaited
  const readCopy = (): Promise<Base> => (copy ??= readBase(config.stateDir));
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
  const readPlanBase = async (): Promise<Base> => buildBaseFromMachines(await readCopy(), machineBases);
  const keeperIndex = config.machines.findIndex((m) => m.name === keeper);
  const alikeUnder = findAlikeToken(scans, observed.unchanged, names, scanned.length);
  const fromSeen = reference && alikeUnder === undefined ? findSeenReference(scans, reference.token) : undefined;
  const partial = fromSeen && observed.warnings.length === 0 && machineBases.cached ? buildPartialRun({ ...fromSeen, base: reference!.base }, await Promise.all(diffs), scans, observed, req, takenAtMs) : null;
  if (partial) {
    how.report?.(`compared with the listing their seen lines stand for: ${partial.snapshot.partial!.alike} paths alike everywhere, ${partial.paths} planned one by one\n`);
  } else if (reference) {
    // Something out of the ordinary (a machine offline, a warning, a special file, another token): read every listing.
    if (fromSeen) how.report?.('the listing their seen lines stand for cannot stand for every machine this time: every listing is read\n');
    else if (alikeUnder === undefined) how.report?.('the machines were not all found alike under the seen token this controller has a copy of: every listing is read\n');
    scans = scans.map((scan, i) => (scan === null ? null : parseKeptListing(scan, i === keeperIndex)));
    ({ observed, bases: machineBases } = observe(scans));
  }
  for (const w of observed.warnings) io.stderr(`warning: ${sanitizeForTerminal(w)}\n`);
  await writeMachineStates(config.stateDir, updateMachineStates(previous, observed.machines, takenAtMs));
  const seenOf = (from: MachineScans): SeenContext => ({ keeper, file: seenFile, cached: cachedSeen, scans: from });
  /** A plan (an apply writes its own) keeps what the machines sent, so the next plan need not ask for it again. */
  const keepSentBases = async (base: Base | null): Promise<void> => {
    if (needBase || machineBases.cached) return;
    const read = await readCopy().catch(() => null);
    if (read !== null) await recordMachineBases(config, have, read, base ?? buildBaseFromMachines(read, machineBases), machineBases);
  };
  const common = { sshOptions, machineBases };

  if (partial) {
    await checkTargetsHeld(ctx, partial.snapshot, partial.base, io, readPlanBase);
    // Alike on the paths that differ from the copy, so alike everywhere: a new token.
    if (isIdenticalSnapshot(partial.snapshot)) {
      const files = partial.snapshot.partial!.files.get(keeper) ?? 0;
      const isBase = isBaseOfListing(partial.base, scanned, partial.snapshot, ctx.targets, keeper) && isCoveredFor(partial.base, scanned, ctx.targets);
      await recordSeen(ctx, { seen: seenOf(scans), paths: partial.snapshot.partial!.alike + countIdenticalPaths(partial.snapshot), files, sshOptions, nowMs: takenAtMs, ...(isBase ? { base: reference!.base } : {}) });
    }
    return { decide: partial.snapshot, base: partial.base, scanned: partial.snapshot, scannedBase: partial.base, seen: seenOf(scans), ...common };
  }

  if (alikeUnder !== undefined && !needBase) {
    // Every machine answered "same" under one token: they still hold what they held, alike, then.
    how.report?.(`every machine answered "same" by its seen line: ${alikeUnder.paths} paths alike everywhere, nothing sent\n`);
    const files = new Map(observed.unchanged.map((n) => [n, alikeUnder.files]));
    const alike = buildAlikeSnapshot(ctx, observed.machines, observed.digest, takenAtMs, alikeUnder.paths, files);
    await keepSentBases(null);
    return { decide: alike, base: new Map(), scanned: alike, scannedBase: null, seen: seenOf(scans), ...common };
  }

  let finalScans = scans;
  let unchangedEntries: Map<string, ReadonlyMap<string, Entry>> | undefined;
  if (observed.unchanged.length > 0) {
    // The copy's bytes, read once: those the comparison read when it is the same record.
    const fromCopy = await readSeenEntries(cachedSeen, () => (reference !== null ? readReference() : readSeenListingFile(config.stateDir, cachedSeen!)));
    unchangedEntries = new Map();
    const again: string[] = [];
    for (const name of observed.unchanged) {
      const scan = scans[names.indexOf(name)];
      if (fromCopy !== null && scan?.ok && scan.seen?.token === fromCopy.token) unchangedEntries.set(name, fromCopy.entries);
      else again.push(name);
    }
    // No copy of what their token stands for (another controller found them alike): ask again.
    if (again.length > 0) {
      how.report?.(`${again.join(', ')} answered "same" by a seen line this controller has no copy of: asked again for their listings\n`);
      finalScans = await rescanUnchanged(req, scans, again);
    }
  }
  const finalObserved = finalScans === scans ? observed : leaveOutMachines(config, ctx.self.name, observeScans(config, ctx.self.name, finalScans), machineBases);
  const snapshot = assembleSnapshot(req, finalScans, finalObserved, takenAtMs, unchangedEntries);
  // Identical implies uniform: one walk over the entries in the usual, synced case.
  const identical = isIdenticalSnapshot(snapshot);
  // An apply builds the next base from it, the machines' bases laid over the copy: always read then.
  const base = needBase || !(identical || isUniformSnapshot(snapshot, options)) ? await readPlanBase() : null;
  await checkTargetsHeld(ctx, snapshot, base, io, readPlanBase);
  // Identical machines: nothing to decide whatever the base says, every path alike (one walk fewer).
  const alike = identical ? countIdenticalPaths(snapshot) : 0;
  if (identical && finalObserved.warnings.length === 0 && !how.checksum) {
    // Whether the base is this listing (so that a later plan may take the listing for it): the base
    // is read for that if it was not (once per finding: the next plans answer "same").
    const held = base ?? (await readPlanBase().catch(() => null));
    const origin = held !== null && isBaseOfListing(held, scanned, snapshot, ctx.targets, keeper) && isCoveredFor(held, scanned, ctx.targets) ? findBaseOrigin(held) : undefined;
    await recordSeen(ctx, { seen: seenOf(finalScans), paths: alike, files: countHeldFiles(snapshot).get(keeper) ?? 0, sshOptions, nowMs: takenAtMs, ...(origin ? { base: origin } : {}) });
  }
  await keepSentBases(base);
  const decide = identical ? buildAlikeSnapshot(ctx, snapshot.machines, snapshot.digest, takenAtMs, alike, countHeldFiles(snapshot)) : snapshot;
  return { decide, base: identical ? new Map() : (base ?? new Map()), scanned: snapshot, scannedBase: base, seen: seenOf(finalScans), ...common };
}

/** The scans again, without expectations, for the machines that answered "same". */
async function rescanUnchanged(req: ScanRequest, scans: MachineScans, unchanged: readonly string[]): Promise<MachineScans> {
  const again = await scanMachines({
    ...req,
    config: { ...req.config, machines: req.config.machines.map((m) => (unchanged.includes(m.name) ? m : { ...m, state: 'outofuse' as const })) },
    seen: undefined,
    unparsed: false,
    onScanned: undefined,
  });
  return scans.map((s, i) => again[i] ?? s);
}

/**
 * The reference a plan compares listings with when every scanned machine's seen line names
 * `token` (those that changed since sent their listing, and the line): its paths and files.
 */
function findSeenReference(scans: MachineScans, token: string): { records: number; files: number } | undefined {
  let found: { records: number; files: number } | undefined;
  for (const scan of scans) {
    if (scan === null) continue;
    if (!scan.ok || scan.seen?.token !== token) return undefined;
    found ??= { records: scan.seen.paths, files: scan.seen.files };
  }
  return found;
}

/** The one token every scanned machine answered "same" under, with what its seen line counts; undefined when they did not. */
function findAlikeToken(scans: MachineScans, unchanged: readonly string[], names: readonly string[], scanned: number): { paths: number; files: number } | undefined {
  if (unchanged.length !== scanned || scanned === 0) return undefined;
  const lines = unchanged.map((n) => {
    const scan = scans[names.indexOf(n)];
    return scan?.ok ? scan.seen : undefined;
  });
  const first = lines[0];
  if (first === undefined || !lines.every((l) => l !== undefined && l.token === first.token && l.paths === first.paths && l.files === first.files)) return undefined;
  return { paths: first.paths, files: first.files };
}

/** The entries the controller's copy of a seen token's listing (`record`, its bytes from `readListing`) holds, with the token; null when there is none, or it cannot be read. */
async function readSeenEntries(record: SeenListingRecord | null, readListing: () => Promise<Buffer | null>): Promise<{ token: string; entries: ReadonlyMap<string, Entry> } | null> {
  if (record === null) return null;
  const listing = await readListing();
  if (listing === null) return null;
  try {
    return { token: record.token, entries: parseListing(listing).entries };
  } catch {
    return null;
  }
}
