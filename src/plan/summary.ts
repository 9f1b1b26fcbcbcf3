import type { Plan, PlanSummary } from '../types.js';

/** Counts of a plan's steps by action, deferred entries, conflicts and held or propagated deletions. */
export function summarisePlan(plan: Plan): PlanSummary {
  let pull = 0;
  let push = 0;
  let trash = 0;
  for (const step of plan.steps) {
    if (step.action === 'pull') pull++;
    else if (step.action === 'push') push++;
    else trash++;
  }
  return {
    pull,
    push,
    trash,
    deferred: plan.deferred.length,
    conflicts: plan.conflicts.length,
    deletions: plan.deletions.length,
  };
}

/**
 * True when applying the plan would change nothing and nothing is owed, held or left undecided (a
 * warning), and no machine that answered lacks its root (it holds none of the paths).
 */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.machines.every((m) => !m.rootMissing) && plan.steps.length === 0 && plan.deferred.length === 0 && plan.conflicts.length === 0 && plan.deletions.length === 0 && plan.warnings.length === 0;
}
