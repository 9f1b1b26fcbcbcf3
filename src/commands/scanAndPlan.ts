import { buildPlan } from '../plan/buildPlan.js';
import { buildInSyncPlan } from '../plan/inSyncPlan.js';
import { countIdenticalPaths, isIdenticalSnapshot, isUniformSnapshot } from '../plan/uniform.js';
import { sanitizeForTerminal } from '../escape.js';
import { readBase } from '../state/base.js';
import { readInSyncListing, readInSyncMemo, writeInSyncMemo, type InSyncMemo } from '../state/inSyncMemo.js';
import { readMachineStates, updateMachineStates, writeMachineStates } from '../state/machineState.js';
import { parseListing } from '../snapshot/parseScan.js';
import { assembleSnapshot, observeScans, scanMachines, type MachineScans, type ScanRequest } from '../snapshot/scanSnapshot.js';
import type { Base, Entry, Plan, PlanOptions, Snapshot } from '../types.js';
import { readySshOptions, type RunContext } from './context.js';
import type { CommandIO } from './io.js';

export interface PlanRun {
  readonly plan: Plan;
  /** What the plan was built from; null when every machine matched the in-sync memo and no entries were read (`needBase: false`). */
  readonly snapshot: Snapshot | null;
  /** The base the plan was built with; null when it was not needed and not read (`needBase: false`). */
  readonly base: Base | null;
  readonly sshOptions: readonly string[];
}

/**
 * Scans every machine once, reads the base, builds the plan, and records the observed
 * machine states in state.json. Scan warnings go to stderr. With `needBase: false` (plan
 * only) the base is not read when the snapshot is uniform: it could not change the plan;
 * and when every machine's listing is still the one the in-sync memo recorded, no entries
 * are read either. A scan that finds every machine identical records the memo.
 */
export async function scanAndPlan(ctx: RunContext, options: PlanOptions, io: CommandIO): Promise<PlanRun & { readonly snapshot: Snapshot }>;
export async function scanAndPlan(ctx: RunContext, options: PlanOptions, io: CommandIO, needBase: boolean): Promise<PlanRun>;
export async function scanAndPlan(ctx: RunContext, options: PlanOptions, io: CommandIO, needBase = true): Promise<PlanRun> {
  const { config } = ctx;
  const sshOptions = await readySshOptions(config);
  const scanned = config.machines.filter((m) => m.state !== 'outofuse').map((m) => m.name);
  const memo = await readInSyncMemo(config.stateDir, { configDigest: config.digest, self: ctx.self.name, paths: ctx.targets, machines: scanned });
  const req: ScanRequest = {
    config,
    self: ctx.self.name,
    paths: ctx.targets,
    sshOptions,
    expect: memo ? new Map(Object.entries(memo.machines)) : undefined,
    keepListingOf: ctx.self.name,
  };
  // Apply's base is read while the machines are scanned (it is parsed in the gaps between their output).
  const baseRead = needBase ? readBase(config.stateDir) : null;
  baseRead?.catch(() => undefined); // its failure is reported where it is awaited
  const [scans, previous] = await Promise.all([scanMachines(req), readMachineStates(config.stateDir, config.machines.map((m) => m.name))]);
  const takenAtMs = Date.now();
  const observed = observeScans(config, ctx.self.name, scans);
  for (const w of observed.warnings) io.stderr(`warning: ${sanitizeForTerminal(w)}\n`);
  await writeMachineStates(config.stateDir, updateMachineStates(previous, observed.machines, takenAtMs));

  if (memo && !needBase && observed.unchanged.length === scanned.length) {
    const plan = buildInSyncPlan({
      configDigest: config.digest,
      self: ctx.self.name,
      snapshotDigest: observed.digest,
      machines: observed.machines,
      targets: options.targets,
      inSync: memo.inSync,
      nowMs: io.now(),
    });
    return { plan, snapshot: null, base: null, sshOptions };
  }

  let finalScans = scans;
  let unchangedEntries: ReadonlyMap<string, Entry> | undefined;
  if (memo && observed.unchanged.length > 0) {
    const listing = await readInSyncListing(config.stateDir, memo);
    if (listing) unchangedEntries = parseListing(listing).entries;
    else finalScans = await rescanUnchanged(req, scans, observed.unchanged); // the listing file was lost: ask again
  }
  const listingLost = finalScans !== scans;
  const finalObserved = finalScans === scans ? observed : observeScans(config, ctx.self.name, finalScans);
  const snapshot = assembleSnapshot(req, finalScans, finalObserved, takenAtMs, unchangedEntries);
  // Identical implies uniform: one walk over the entries in the usual, synced case.
  const identical = isIdenticalSnapshot(snapshot);
  const base = baseRead ? await baseRead : identical || isUniformSnapshot(snapshot, options.modifyWindow) ? null : await readBase(config.stateDir);
  // Identical machines: nothing to do whatever the base says, every path alike (one walk fewer).
  const plan = identical
    ? buildInSyncPlan({
        configDigest: config.digest,
        self: ctx.self.name,
        snapshotDigest: snapshot.digest,
        machines: snapshot.machines,
        targets: options.targets,
        inSync: countIdenticalPaths(snapshot),
        nowMs: io.now(),
      })
    : buildPlan({ configDigest: config.digest, snapshot, base: base ?? new Map(), options, nowMs: io.now() });
  if (identical && finalObserved.warnings.length === 0) await recordInSync(ctx, listingLost ? null : memo, finalScans, plan);
  return { plan, snapshot, base, sshOptions };
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
