// The synced listing an apply records when it leaves everything in sync (a cache for the next plan).
import { findBaseOrigin } from '../state/base.js';
import { writeSyncedListing } from '../state/syncedListing.js';
import type { Base, Plan, Snapshot } from '../types.js';
import type { PlanRun } from '../commands/scanAndPlan.js';
import { buildSyncedRecord } from './syncedAfterApply.js';
import type { StepOutcome } from './applySteps.js';

/**
 * Records self's listing as the synced listing when the apply left every scanned machine holding
 * what self held and the base says so (see state/syncedListing.ts). A cache: a failure to write
 * it only costs the next apply its speed.
 */
export async function recordSyncedListing(
  stateDir: string,
  self: NonNullable<PlanRun['selfListing']>,
  snapshot: Snapshot,
  base: Base,
  plan: Plan,
  outcomes: readonly StepOutcome[],
): Promise<void> {
  const origin = findBaseOrigin(base);
  const record = origin && buildSyncedRecord(self.key, { bytes: self.listing.length, digest: self.digest }, snapshot, base, origin, plan, outcomes);
  if (record) await writeSyncedListing(stateDir, record, self.listing).catch(() => undefined);
}
