// What keeps the machines from being in sync, after a plan or after its apply: one answer for
// plan, apply and apply --resume, so their exit codes and last lines cannot disagree.
import type { Plan, Step } from '../types.js';

/**
 * One thing that remains. Counts are of (path, machine) pairs for steps, of paths for conflicts
 * and held deletions, of folders for unreadable ones; `count` is never 0.
 */
export type RemainingItem =
  | { readonly kind: 'to copy' | 'to move' | 'to trash' | 'conflict' | 'held deletion' | 'failed' | 'stale' | 'unreadable'; readonly count: number }
  /** An in-use machine that did not answer (offline, stalled, root missing…), with the paths owed to it. */
  | { readonly kind: 'unreachable'; readonly machine: string; readonly reason?: string; readonly owed: number }
  /** The apply was stopped by an error: what it did is not all known, nor recorded. */
  | { readonly kind: 'stopped' };

/** A step's outcome, as far as this needs it. */
export interface RemainingOutcome {
  readonly step: Step;
  readonly status: 'done' | 'failed' | 'stale';
}

/**
 * What remains after `plan` (steps still to do) or, given its apply's `outcomes`, after the apply
 * (steps done remain nothing; steps without an outcome remain to do). Empty exactly when every
 * in-use machine answered and holds the same versions: nothing to copy or trash, owed, in
 * conflict, held, failed, stale or unreadable. In a fixed order, unreachable machines last.
 */
export function buildRemaining(plan: Plan, outcomes?: readonly RemainingOutcome[]): RemainingItem[] {
  const status = new Map<Step, RemainingOutcome['status']>();
  for (const o of outcomes ?? []) status.set(o.step, o.status);
  const counts = { 'to copy': 0, 'to move': 0, 'to trash': 0, conflict: plan.conflicts.length, 'held deletion': 0, failed: 0, stale: 0, unreadable: 0 };
  for (const step of plan.steps) {
    const s = status.get(step);
    if (s === 'failed' || s === 'stale') counts[s]++;
    else if (s === undefined) counts[step.action === 'trash' ? 'to trash' : step.action === 'move' ? 'to move' : 'to copy']++;
  }
  for (const d of plan.deletions) if (!d.propagated) counts['held deletion']++;
  for (const w of plan.warnings) if (w.kind === 'unreadable') counts.unreadable++;
  const items: RemainingItem[] = [];
  for (const [kind, count] of Object.entries(counts) as [keyof typeof counts, number][]) if (count > 0) items.push({ kind, count });
  for (const m of plan.machines) {
    if (m.status !== 'offline') continue;
    const owed = plan.deferred.filter((d) => d.machine === m.name).length;
    items.push({ kind: 'unreachable', machine: m.name, ...(m.reason === undefined ? {} : { reason: m.reason }), owed });
  }
  return items;
}

/** A test: does the plan still have something for (path, machine) — a step to it, a deferral, a conflict, a held deletion? */
export function buildStillOwed(plan: Plan): (path: string, machine: string) => boolean {
  const pairs = new Set<string>();
  for (const s of plan.steps) {
    pairs.add(`${s.path}\0${s.to}`);
    if (s.was !== undefined) pairs.add(`${s.was}\0${s.to}`);
  }
  for (const d of plan.deferred) pairs.add(`${d.path}\0${d.machine}`);
  const paths = new Set<string>(plan.conflicts.map((c) => c.path));
  for (const d of plan.deletions) if (!d.propagated) paths.add(d.path);
  return (path, machine) => paths.has(path) || pairs.has(`${path}\0${machine}`);
}
