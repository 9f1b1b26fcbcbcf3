// Safety predicates run between planning and applying.
import type { Plan, Snapshot } from '../types.js';

/** Thresholds of the mass-deletion guard. */
export interface DeletionLimits {
  /** Largest share (0..1) of a machine's files that trash steps may take. */
  readonly maxFraction: number;
  /** Largest number of a machine's files that trash steps may take. */
  readonly maxCount: number;
}

const DEFAULT_LIMITS: DeletionLimits = { maxFraction: 0.5, maxCount: 1000 };

/** True when the plan moves anything to trash (the mass-deletion guard has something to judge). */
export function hasTrashSteps(plan: Plan): boolean {
  return plan.steps.some((s) => s.action === 'trash');
}

/**
 * Files and symlinks each online machine of the snapshot holds under the snapshot's paths
 * (machine → count); what the mass-deletion guard weighs trash steps against when those paths are
 * all the sync paths.
 */
export function countHeldFiles(snapshot: Snapshot): Map<string, number> {
  const held = new Map<string, number>();
  for (const [machine, entries] of snapshot.entries) {
    let count = snapshot.partial?.files.get(machine);
    if (count === undefined) {
      count = 0;
      for (const e of entries.values()) if (e.type !== 'dir') count++;
    }
    held.set(machine, count);
  }
  return held;
}

/**
 * Problems with the plan's trash steps, one line per machine (plan order) that would lose more than
 * `maxFraction` of the files (and symlinks) it holds under all the sync paths, `held` (machine →
 * count, see countHeldFiles), or more than `maxCount` of them, or whose count is unknown; an empty
 * array means the plan passes.
 */
export function checkDeletionGuard(plan: Plan, held: ReadonlyMap<string, number>, limits: DeletionLimits = DEFAULT_LIMITS): string[] {
  const trashed = new Map<string, number>();
  for (const step of plan.steps) {
    if (step.action !== 'trash' || step.target === null || step.target.type === 'dir') continue;
    trashed.set(step.to, (trashed.get(step.to) ?? 0) + 1);
  }
  const problems: string[] = [];
  for (const m of plan.machines) {
    const count = trashed.get(m.name);
    if (count === undefined) continue;
    const total = held.get(m.name);
    if (total === undefined) {
      problems.push(`${m.name}: propagating deletions would move ${count} files to trash, and the files it holds under the sync paths could not be counted`);
      continue;
    }
    const tooMany = count > limits.maxCount;
    const tooLarge = count > total * limits.maxFraction;
    if (!tooMany && !tooLarge) continue;
    const limit = tooMany ? `more than ${limits.maxCount}` : `more than ${Math.round(limits.maxFraction * 100)}% of them`;
    problems.push(
      `${m.name}: propagating deletions would move ${count} of the ${total} files it holds to trash (${limit}); is a disk unmounted?`,
    );
  }
  return problems;
}
