import { collapseNested, isUnder } from '../config/paths.js';
import { sanitizeForTerminal } from '../escape.js';
import { compactJournal, openJournal, readOwedJournal, type OwedItem } from '../state/journal.js';
import { buildStillOwed } from '../plan/remaining.js';
import { requireApprovalPossible } from '../apply/approval.js';
import { carryOut } from '../apply/carryOut.js';
import { withLock } from '../apply/stateLock.js';
import type { ApplyFlags } from './applyFlags.js';
import { buildPlanOptions, readRunContext } from './context.js';
import { readProbedContext } from './probeRoots.js';
import type { CommandIO } from './io.js';
import { scanAndPlan } from './scanAndPlan.js';

/**
 * `blat apply --resume`: re-plans only the paths the journal says are owed, against a fresh
 * scan, and applies that. Owed items the new plan finds nothing to do for (the machine is up
 * to date, or the version it was owed has been superseded and re-planned) are settled.
 */
export async function resumeCommand(flags: ApplyFlags, io: CommandIO): Promise<number> {
  const all = await readProbedContext(await readRunContext(flags, io, []), io);
  requireApprovalPossible(flags, io);
  return withLock(all, io, 'apply --resume', async () => {
    const { owed, problems } = await readOwedJournal(all.config.stateDir);
    for (const p of problems) io.stderr(`warning: ${sanitizeForTerminal(p)}\n`);
    // Damaged lines (a kill mid-write) were reported once; drop them so they are not reported forever.
    if (problems.length > 0) await compactJournal(all.config.stateDir, 0);
    const machines = new Set(all.config.machines.map((m) => m.name));
    const isLive = (o: (typeof owed)[number]) => machines.has(o.machine) && all.config.paths.some((p) => isUnder(o.path, p));
    const gone = owed.filter((o) => !isLive(o));
    const live = owed.filter(isLive);
    const machinesOwed = [...new Set(live.map((o) => o.machine))];
    // With --json every line of stdout is one JSON event.
    if (flags.json) io.stdout(JSON.stringify({ event: 'resume', owed: live.length, machines: machinesOwed }) + '\n');
    if (live.length === 0) {
      // Items of machines or paths no longer configured are settled here: no apply will run to settle them.
      if (gone.length > 0) await settleGone(all.config.stateDir, gone, io);
      if (!flags.json) io.stdout('Nothing is owed: every apply finished.\n');
      return 0;
    }
    const ctx = { ...all, targets: collapseNested([...new Set(live.map((o) => o.path))]), narrowed: true };
    if (!flags.json) io.stdout(`Resuming ${live.length} owed item${live.length === 1 ? '' : 's'} on ${machinesOwed.length} machine(s).\n`);
    const run = await scanAndPlan(ctx, buildPlanOptions(ctx, flags), io);
    const stillOwed = buildStillOwed(run.plan);
    return carryOut(ctx, run.plan, { snapshot: run.snapshot, base: run.base, machineBases: run.machineBases }, run.sshOptions, flags, io, () => [
      ...gone.map((o) => ({ path: o.path, machine: o.machine, reason: 'no longer in the config' })),
      ...live.filter((o) => !stillOwed(o.path, o.machine)).map((o) => ({ path: o.path, machine: o.machine, reason: 'up to date after a fresh scan' })),
    ]);
  });
}

/** Journals `settled` records for owed items that no longer belong to the config. */
async function settleGone(stateDir: string, gone: readonly OwedItem[], io: CommandIO): Promise<void> {
  const journal = await openJournal(stateDir);
  const run = `${io.now().toString(36)}-${process.pid}`;
  try {
    await journal.appendMany(gone.map((o) => ({ t: io.now(), event: 'settled' as const, run, path: o.path, machine: o.machine, reason: 'no longer in the config' })));
  } finally {
    await journal.close();
  }
}
