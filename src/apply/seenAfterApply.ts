// The machines' seen lines an apply writes when it leaves every machine alike, so that the next
// run (from any controller) meets "same" instead of their listings (state/seenLine.ts).
import { machineExcludes } from '../config/excludes.js';
import { countHeldFiles } from '../plan/guards.js';
import { isBaseOfListing, isCoveredFor } from '../snapshot/baseOfListing.js';
import { diffListing } from '../snapshot/listingDiff.js';
import { scanMachine } from '../snapshot/scanMachine.js';
import { findBaseOrigin } from '../state/base.js';
import { readSeenListingFile } from '../state/seenListing.js';
import { buildScriptTarget } from '../transport/targets.js';
import { recordSeen, type SeenContext } from '../observe/seenRecord.js';
import type { RunContext } from '../commands/context.js';
import type { Base, Plan, Snapshot } from '../types.js';
import type { StepOutcome } from './applySteps.js';

/**
 * True when an apply left every scanned machine holding what `keeper` held when it was scanned:
 * every step done, nothing deferred, in conflict, held or left undecided (a warning), every
 * scanned machine online, and no step that wrote the keeper (so its listing from the scan is its
 * listing now).
 */
export function isSettledBy(plan: Plan, outcomes: readonly StepOutcome[], keeper: string): boolean {
  return (
    outcomes.every((o) => o.status === 'done') &&
    plan.deferred.length === 0 &&
    plan.conflicts.length === 0 &&
    plan.deletions.every((d) => d.propagated) &&
    plan.warnings.length === 0 &&
    plan.machines.every((m) => m.status !== 'offline') &&
    plan.steps.every((s) => s.to !== keeper)
  );
}

/** What an apply knows when it may write the machines' seen lines. */
export interface AppliedAlike {
  readonly plan: Plan;
  readonly outcomes: readonly StepOutcome[];
  /** What the plan was built from (all entries, or the partial ones). */
  readonly snapshot: Snapshot;
  /** The base the apply wrote (its successor of the plan's). */
  readonly next: Base;
  readonly seen: SeenContext;
  readonly sshOptions: readonly string[];
  readonly nowMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Writes every machine's seen line (and the controller's copy of the keeper's listing, standing
 * for the base just written) when the apply left them all alike: settled by the keeper, the base
 * exactly the keeper's listing for every machine. A machine a step wrote is listed again, and its
 * line written only if its listing differs from the keeper's in folders alone (their times): a
 * file changed there meanwhile (by a person, during the apply) keeps every line unwritten, and the
 * next run reads the listings. A cache: a failure only costs the next run its speed.
 */
export async function recordSeenAfterApply(ctx: RunContext, w: AppliedAlike): Promise<void> {
  const { config } = ctx;
  const { keeper } = w.seen;
  if (!isSettledBy(w.plan, w.outcomes, keeper) || w.signal?.aborted) return;
  const origin = findBaseOrigin(w.next);
  const names = w.snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name);
  if (origin === undefined || !isBaseOfListing(w.next, names, w.snapshot, w.snapshot.paths, keeper) || !isCoveredFor(w.next, names, w.snapshot.paths)) return;
  const keeperScan = w.seen.scans[config.machines.findIndex((m) => m.name === keeper)];
  if (!keeperScan?.ok) return;
  const reference =
    !keeperScan.output.unchanged ? (keeperScan.output.listing ?? null)
    : w.seen.cached !== null && keeperScan.seen?.token === w.seen.cached.token ? await readSeenListingFile(config.stateDir, w.seen.cached)
    : null;
  if (reference === null) return;
  const written = new Set(w.plan.steps.map((s) => s.to));
  const digests = new Map<string, string>();
  const checked = await Promise.all(
    config.machines.filter((m) => written.has(m.name)).map(async (m) => {
      const target = buildScriptTarget(m, ctx.self.name, w.sshOptions, { stallTimeout: config.stallTimeout, ...(w.signal ? { signal: w.signal } : {}) });
      const scan = await scanMachine(m, target, { paths: w.snapshot.paths, mode: 'tree', exclude: machineExcludes(config, m), syncPaths: config.paths, own: config.ownPaths, parse: false });
      if (!scan.ok || !scan.output.rootExists || scan.warnings.length > 0 || scan.unreadable.length > 0 || scan.output.listing === undefined) return false;
      if (!differsInFoldersOnly(reference, scan.output.listing)) return false;
      digests.set(m.name, scan.digest);
      return true;
    }),
  );
  if (!checked.every(Boolean) || w.signal?.aborted) return;
  const keeperEntries = w.snapshot.entries.get(keeper)?.size ?? 0;
  await recordSeen(ctx, {
    seen: w.seen,
    paths: (w.snapshot.partial?.alike ?? 0) + keeperEntries,
    files: countHeldFiles(w.snapshot).get(keeper) ?? 0,
    base: origin,
    digests,
    sshOptions: w.sshOptions,
    nowMs: w.nowMs,
  });
}

/** True when `listing` holds the records of `reference` but for folders' (both sides folders: their times, their order). */
function differsInFoldersOnly(reference: Buffer, listing: Buffer): boolean {
  try {
    const d = diffListing(reference, listing);
    for (const [path, entry] of d.now) if (entry?.type !== 'dir' || d.was.get(path)?.type !== 'dir') return false;
    for (const path of d.was.keys()) if (!d.now.has(path)) return false;
    return true;
  } catch {
    return false;
  }
}
