// The mass-deletion guard as commands run it: the counts it weighs trash steps against are what
// each machine holds under ALL the sync paths, whatever the run was narrowed to.
import { collapseNested } from '../config/paths.js';
import { BlatError } from '../errors.js';
import { checkDeletionGuard, countHeldFiles, hasTrashSteps } from '../plan/guards.js';
import { scanSnapshot } from '../snapshot/scanSnapshot.js';
import type { Plan, Snapshot } from '../types.js';
import type { RunContext } from './context.js';

/**
 * Files and symlinks each machine holds under every sync path of the config: counted in
 * `snapshot` when it covers them all, otherwise (a run narrowed by path arguments, a saved plan)
 * by a scan of them all.
 */
export async function readHeldCounts(ctx: RunContext, snapshot: Snapshot | null, sshOptions: readonly string[]): Promise<ReadonlyMap<string, number>> {
  const all = collapseNested(ctx.config.paths);
  if (snapshot && all.every((p) => snapshot.paths.includes(p))) return countHeldFiles(snapshot);
  const whole = await scanSnapshot({ config: ctx.config, self: ctx.self.name, paths: all, sshOptions });
  return countHeldFiles(whole.snapshot);
}

/** The guard's problems with the plan's trash steps ([] = it passes); undefined when the plan moves nothing to trash. */
export async function readDeletionProblems(
  ctx: RunContext,
  plan: Plan,
  snapshot: Snapshot | null,
  sshOptions: readonly string[],
): Promise<readonly string[] | undefined> {
  if (!hasTrashSteps(plan)) return undefined;
  return checkDeletionGuard(plan, await readHeldCounts(ctx, snapshot, sshOptions));
}

/**
 * Throws unless the plan's trash steps pass the mass-deletion guard; returns its verdict ([] = it
 * passes), undefined when the plan moves nothing to trash or --force-deletes was given.
 */
export async function checkDeletionsAllowed(
  ctx: RunContext,
  plan: Plan,
  snapshot: Snapshot | null,
  sshOptions: readonly string[],
  flags: { readonly forceDeletes?: boolean },
): Promise<readonly string[] | undefined> {
  if (flags.forceDeletes) return undefined;
  const problems = await readDeletionProblems(ctx, plan, snapshot, sshOptions);
  if (problems === undefined || problems.length === 0) return problems;
  const lines = ['refusing to propagate deletions:', ...problems, '(check that no disk is unmounted; pass --force-deletes to go ahead)'];
  throw new BlatError(lines.join(' '), { lines });
}
