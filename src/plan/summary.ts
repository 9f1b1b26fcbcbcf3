import type { Plan, PlanSummary } from '../types.js';

/** Counts of a plan's steps by action, deferred entries, conflicts, held or propagated deletions, and versions kept in trash. */
export function summarisePlan(plan: Plan): PlanSummary {
  let pull = 0;
  let push = 0;
  let trash = 0;
  let kept = 0;
  for (const step of plan.steps) {
    if (step.replaces !== undefined) kept++;
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
    kept,
  };
}

/** True when applying the plan would change nothing and nothing is owed or held. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.steps.length === 0 && plan.deferred.length === 0 && plan.conflicts.length === 0 && plan.deletions.length === 0;
}
