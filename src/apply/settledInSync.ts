// The owed items a plain apply settles because its fresh scan found them in sync.
import { isUnder } from '../config/paths.js';
import { buildStillOwed } from '../plan/remaining.js';
import type { OwedItem } from '../state/journal.js';
import type { Plan, Snapshot } from '../types.js';

/**
 * The owed items a plain apply settles: those of a machine that answered, at a path it scanned,
 * for which the plan has nothing (no step, deferral, conflict or held deletion): the machine
 * holds what the others do. (A step's own outcome settles its item, or keeps it owed.) None
 * without a snapshot (a saved plan) or when a folder could not be read.
 */
export function buildSettledInSync(plan: Plan, snapshot: Snapshot | null, owed: readonly OwedItem[]): { path: string; machine: string; reason: string }[] {
  if (snapshot === null || owed.length === 0 || plan.warnings?.some((w) => w.kind === 'unreadable')) return [];
  const answered = new Set(snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name));
  const still = buildStillOwed(plan);
  return owed
    .filter((o) => answered.has(o.machine) && snapshot.paths.some((p) => isUnder(o.path, p)) && !still(o.path, o.machine))
    .map((o) => ({ path: o.path, machine: o.machine, reason: 'in sync after a fresh scan' }));
}
