// Refusals of a saved plan as a whole (`blat apply FILE`), before anything is changed anywhere.
import { escapeControls } from '../escape.js';
import { BlatError } from '../errors.js';
import { checkSavedPlan } from '../plan/savedPlan.js';
import { readJournalBegins } from '../state/journal.js';
import type { Config, Plan } from '../types.js';

/** Refuses planning options given with a saved plan: it is applied as it was planned, and would ignore them. */
export function checkSavedPlanFlags(file: string, flags: { readonly prefer?: string; readonly keepBoth?: boolean; readonly propagateDeletes?: boolean }): void {
  const ignored = [flags.prefer !== undefined ? '--prefer' : '', flags.keepBoth ? '--keep-both' : '', flags.propagateDeletes ? '--propagate-deletes' : ''].filter((f) => f !== '');
  if (ignored.length === 0) return;
  throw new BlatError(
    `${escapeControls(file)}: refused: a saved plan is applied as it was planned, so ${ignored.join(' and ')} would be ignored; give ${ignored.length === 1 ? 'it' : 'them'} to blat plan --out FILE instead`,
  );
}

/** Refuses a saved plan with a target, step or deferred item this config could not have planned (see checkSavedPlan). */
export function checkSavedPlanSteps(file: string, plan: Plan, config: Config): void {
  const why = checkSavedPlan(plan, config);
  if (why !== undefined) throw new BlatError(`${escapeControls(file)}: refused: ${escapeControls(why)}; nothing was changed`);
}

/**
 * Refuses a saved plan the journal shows was applied already: an apply began, after the plan was
 * made, on the very scan it was made from (the `begin` record's planDigest is the plan's snapshotDigest).
 */
export async function checkSavedPlanNotApplied(file: string, plan: Plan, stateDir: string): Promise<void> {
  const run = (await readJournalBegins(stateDir)).find((r) => r.event === 'begin' && r.planDigest === plan.snapshotDigest && r.t >= plan.createdAtMs);
  if (run === undefined) return;
  throw new BlatError(
    `${escapeControls(file)}: refused: the journal shows it was applied already (run ${escapeControls(run.run)}, ${new Date(run.t).toISOString()}); plan again, or finish what that run left with blat apply --resume`,
  );
}
