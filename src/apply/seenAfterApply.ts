// The machines' seen lines an apply writes when it leaves every machine alike, so that the next
// run (from any controller) meets "same" instead of their listings (state/seenLine.ts).
import { countHeldFiles } from '../plan/guards.js';
import { isBaseOfListing, isCoveredFor } from '../snapshot/baseOfListing.js';
import { findBaseOrigin } from '../state/base.js';
import { buildSeenLines, type SeenContext, type SeenLines } from '../observe/seenRecord.js';
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
  readonly signal?: AbortSignal;
}

/**
 * Every machine's seen line, to be written on it as its lock is released (and the controller's
 * copy of the keeper's listing, written now, standing for the base just written: `next`, as
 * writeBase left it); null unless the apply left them all alike:
 * settled by the keeper, the base exactly the keeper's listing for every machine. A machine no
 * step wrote gets its listing's digest from the scan (still its listing, unless changed since: then
 * it is simply not "same"); a machine a step wrote gets a pending line (no digest): it sends its
 * listing next time, compared with the copy, so that whatever changed there meanwhile (a person's
 * edit during the apply) is seen, and a run that finds them alike then writes its digest. A
 * cache: a failure only costs the next run its speed.
 */
export async function buildSeenAfterApply(ctx: RunContext, w: AppliedAlike, nowMs: number): Promise<SeenLines | null> {
  const { config } = ctx;
  const { keeper } = w.seen;
  if (!isSettledBy(w.plan, w.outcomes, keeper) || w.signal?.aborted) return null;
  const origin = findBaseOrigin(w.next);
  const names = w.snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name);
  if (origin === undefined || !isBaseOfListing(w.next, names, w.snapshot, w.snapshot.paths, keeper) || !isCoveredFor(w.next, names, w.snapshot.paths)) return null;
  const keeperScan = w.seen.scans[config.machines.findIndex((m) => m.name === keeper)];
  // The copy is the keeper's listing as scanned, or the copy in place when the keeper answered "same" under its token.
  if (!keeperScan?.ok || (keeperScan.output.unchanged ? w.seen.cached === null || keeperScan.seen?.token !== w.seen.cached.token : keeperScan.output.listing === undefined)) return null;
  // No step: every machine's line may stand as it is (buildSeenLines writes none when they all answered "same" under one token).
  const digests = w.plan.steps.length === 0 ? undefined : new Map<string, string | null>(w.plan.steps.map((s) => [s.to, null]));
  return buildSeenLines(ctx, {
    seen: w.seen,
    paths: (w.snapshot.partial?.alike ?? 0) + (w.snapshot.entries.get(keeper)?.size ?? 0),
    files: countHeldFiles(w.snapshot).get(keeper) ?? 0,
    base: origin,
    digests,
    sshOptions: w.sshOptions,
    nowMs,
  });
}
