// The one-line plan summary printed last by `blat plan` and `blat apply`.
import type { PlanSummary } from '../types.js';

/**
 * `Plan: N to pull, N to push, [N to trash, ]N deferred, N conflicts, N deletions held[; N versions will be kept in trash].`
 * (`… deletions to propagate` when `propagated`; the versions kept only when some are). Counts are
 * not pluralised, so the line has one fixed shape that scripts can match.
 */
export function renderSummaryLine(summary: PlanSummary, propagated: boolean): string {
  const trash = summary.trash > 0 ? `${summary.trash} to trash, ` : '';
  const deletions = propagated ? `${summary.deletions} deletions to propagate` : `${summary.deletions} deletions held`;
  const kept = summary.kept > 0 ? `; ${summary.kept} versions will be kept in trash` : '';
  const aside = summary.aside > 0 ? `${summary.aside} conflict copies kept beside their paths, ` : '';
  return `Plan: ${aside}${summary.pull} to pull, ${summary.push} to push, ${trash}${summary.deferred} deferred, ${summary.conflicts} conflicts, ${deletions}${kept}.`;
}

/** `No changes. Every machine is in sync (N paths).` — the line for an empty plan. */
export function renderNoChangesLine(inSync: number): string {
  return `No changes. Every machine is in sync (${inSync} paths).`;
}
