// `blat restore PATH...`: undo held deletions — the version still held is copied back to the machines that deleted it.
import { isUnder } from '../config/paths.js';
import { escapeControls } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { buildPlan, freezePlan } from '../plan/buildPlan.js';
import type { Plan } from '../types.js';
import { requireApprovalPossible } from '../apply/approval.js';
import { carryOut } from '../apply/carryOut.js';
import { withLock } from '../apply/stateLock.js';
import type { ApplyFlags } from './applyFlags.js';
import { buildPlanOptions, readRunContext } from './context.js';
import { readProbedContext } from './probeRoots.js';
import type { CommandIO } from './io.js';
import { scanAndPlan } from './scanAndPlan.js';

/**
 * Plans, shows and (after the question, or with --auto-approve) carries out copying each held
 * deletion at or under the paths back from a machine holding it (the newest version held) to the
 * machines that deleted it, through the usual apply (journal, precheck, look afterwards). Refuses,
 * with one line and before changing anything, a path under which nothing is a held deletion.
 */
export async function restoreCommand(paths: readonly string[], flags: ApplyFlags, io: CommandIO): Promise<number> {
  if (paths.length === 0) throw new UsageError('blat restore needs the paths to restore (blat plan lists the held deletions)');
  const ctx = await readProbedContext(await readRunContext(flags, io, paths), io);
  const options = { ...buildPlanOptions(ctx, {}), restoreDeletions: true };
  requireApprovalPossible(flags, io);
  return withLock(ctx, io, 'restore', async () => {
    const run = await scanAndPlan(ctx, options, io);
    // The same snapshot and base, planned as apply would: what is held deleted.
    const usual = buildPlan({ configDigest: ctx.config.digest, snapshot: run.snapshot, base: run.base ?? new Map(), options: { ...options, restoreDeletions: false }, nowMs: io.now() });
    const held = usual.deletions.filter((d) => !d.propagated).map((d) => d.path);
    for (const t of ctx.targets) {
      if (!held.some((p) => isUnder(p, t))) throw new BlatError(`${escapeControls(t)}: not a held deletion, nothing to restore (blat plan lists the held deletions)`);
    }
    const plan = buildRestorePlan(run.plan, new Set(held));
    // No snapshot: the base records what the done steps wrote, and nothing else (the other paths stay as they were).
    return carryOut(ctx, plan, null, run.sshOptions, flags, io);
  });
}

/** The plan narrowed to the restored paths: their steps, deferred items, conflicts (versions held that tie) and warnings. */
export function buildRestorePlan(plan: Plan, restored: ReadonlySet<string>): Plan {
  return freezePlan({
    ...plan,
    steps: plan.steps.filter((s) => restored.has(s.path)),
    deferred: plan.deferred.filter((d) => restored.has(d.path)),
    conflicts: plan.conflicts.filter((c) => restored.has(c.path)),
    deletions: [],
    warnings: plan.warnings.filter((w) => restored.has(w.path)),
  });
}
