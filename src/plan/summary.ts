import type { Plan, PlanSummary } from '../types.js';

/** Counts of a plan's steps by action, deferred entries, conflicts, held or propagated deletions, and versions kept in trash. */
export function summarisePlan(plan: Plan): PlanSummary {
  let aside = 0;
  let move = 0;
  let pull = 0;
  let push = 0;
  let copy = 0;
  let trash = 0;
  let kept = 0;
  for (const step of plan.steps) {
    if (step.replaces !== undefined) kept++;
    if (step.action === 'pull') pull++;
    else if (step.action === 'push') push++;
    else if (step.action === 'copy') copy++;
    else if (step.action === 'copy-aside') aside++;
    else if (step.action === 'move') move++;
    else trash++;
  }
  return {
    aside,
    move,
    pull,
    push,
    copy,
    trash,
    deferred: plan.deferred.length,
    conflicts: plan.conflicts.length,
    deletions: plan.deletions.length,
    kept,
  };
}

/**
 * True when applying the plan would change nothing and nothing is owed, held or left undecided (a
 * warning), and no machine that answered lacks its root (it holds none of the paths).
 */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.machines.every((m) => !m.rootMissing) && plan.steps.length === 0 && plan.deferred.length === 0 && plan.conflicts.length === 0 && plan.deletions.length === 0 && plan.warnings.length === 0;
}

/** Files, bytes and machines of one action's steps (folders are not counted as files). */
export interface ActionTotals {
  readonly files: number;
  readonly bytes: number;
  /** The other end of the steps: sources of pulls, targets of pushes, copies and trash steps; config order of first sight. */
  readonly machines: readonly string[];
}

/** Totals per action, for "push 1,204 files (1.2 GiB) to 3 machines". */
export function summariseTransfers(plan: Plan): Readonly<Record<'pull' | 'push' | 'copy' | 'trash', ActionTotals>> {
  const totals = {
    pull: { files: 0, bytes: 0, machines: [] as string[] },
    push: { files: 0, bytes: 0, machines: [] as string[] },
    copy: { files: 0, bytes: 0, machines: [] as string[] },
    trash: { files: 0, bytes: 0, machines: [] as string[] },
  };
  for (const step of plan.steps) {
    if (step.action === 'copy-aside' || step.action === 'move') continue; // a copy or a move on one machine, no transfer
    const t = totals[step.action];
    const entry = step.action === 'trash' ? step.target : step.source;
    const machine = step.action === 'pull' ? step.from : step.to;
    if (!t.machines.includes(machine)) t.machines.push(machine);
    if (entry === null || entry.type === 'dir') continue;
    t.files++;
    if (entry.type === 'file') t.bytes += entry.size;
  }
  return totals;
}
