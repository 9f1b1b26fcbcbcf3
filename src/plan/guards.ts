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

/**
 * Problems with the plan's trash steps, one line per machine that would lose more than `maxFraction`
 * of the files (and symlinks) it holds under the planned paths, or more than `maxCount` of them;
 * an empty array means the plan passes.
 */
export function checkDeletionGuard(plan: Plan, snapshot: Snapshot, limits: DeletionLimits = DEFAULT_LIMITS): string[] {
  const trashed = new Map<string, number>();
  for (const step of plan.steps) {
    if (step.action !== 'trash' || step.target === null || step.target.type === 'dir') continue;
    trashed.set(step.to, (trashed.get(step.to) ?? 0) + 1);
  }
  const problems: string[] = [];
  for (const m of snapshot.machines) {
    const count = trashed.get(m.name);
    if (count === undefined) continue;
    let held = snapshot.partial?.files.get(m.name) ?? 0;
    if (!snapshot.partial) for (const e of (snapshot.entries.get(m.name) ?? new Map()).values()) if (e.type !== 'dir') held++;
    const tooMany = count > limits.maxCount;
    const tooLarge = count > held * limits.maxFraction;
    if (!tooMany && !tooLarge) continue;
    const limit = tooMany ? `more than ${limits.maxCount}` : `more than ${Math.round(limits.maxFraction * 100)}% of them`;
    problems.push(
      `${m.name}: propagating deletions would move ${count} of the ${held} files it holds to trash (${limit}); is a disk unmounted?`,
    );
  }
  return problems;
}
