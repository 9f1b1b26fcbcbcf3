// An apply from the plan shown to the summary: approval, locks, journal, the steps, the base.
import { escapeControls, sanitizeForTerminal } from '../escape.js';
import { BlatError } from '../errors.js';
import { renderApplyResult, summariseDone } from '../render/applyResult.js';
import { buildPlanDocument } from '../render/json.js';
import { renderPlanText } from '../render/table.js';
import { readBase } from '../state/base.js';
import { clearSeenRecord } from '../state/seenListing.js';
import { compactJournal, JOURNAL_COMPACT_BYTES, openJournal, type JournalWriter } from '../state/journal.js';
import { readOwedIndex, readOwedNow, writeOwedIndex } from '../state/owedIndex.js';
import { buildRemaining } from '../plan/remaining.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import type { Base, JournalRecord, Plan, Snapshot } from '../types.js';
import type { RunContext } from '../commands/context.js';
import { checkDeletionsAllowed } from '../commands/deletionGuard.js';
import { interruptExitCode, terminalWidth, wantsColor, writeJson, type CommandIO } from '../commands/io.js';
import type { PlanRun } from '../commands/scanAndPlan.js';
import { CONTROLLER } from '../config/self.js';
import { applySteps, type ApplyRequest, type StepOutcome } from './applySteps.js';
import { applyRelayed } from './relay.js';
import { readApproval } from './approval.js';
import { buildBaseAfterApply } from './baseAfterApply.js';
import { writeBases, type PendingBases } from './bases.js';
import { baseIdsPath } from '../state/baseIds.js';
import { describeError } from '../state/fsErrors.js';
import { takeMachineLocks, type MachineLocks } from './machineLocks.js';
import { openPlanSessions } from './planSessions.js';
import { buildProgressWriter } from './progressWriter.js';
import { recordAppends } from './recordAppends.js';
import { buildSettledInSync } from './settledInSync.js';
import { buildSeenAfterApply } from './seenAfterApply.js';
import type { SeenLines } from '../observe/seenRecord.js';
import { buildTrashRun } from './trashRun.js';

/** What carryOut reads of the command's flags. */
export interface CarryOutFlags {
  /** No question asked (given, or a saved plan: approved when it was saved). */
  readonly autoApprove?: boolean;
  /** One JSON event per line on stdout instead of the plan's text and summary. */
  readonly json?: boolean;
  /** The plan's text lists every step (--full) instead of counting them per folder and machine. */
  readonly full?: boolean;
  /** --force-deletes: trash steps go past the mass-deletion guard. */
  readonly forceDeletes?: boolean;
}

/**
 * Shows the plan, asks (unless approved), applies it with the journal, then writes the base.
 * Exit 0 when every step is done and nothing remains (see buildRemaining: every machine
 * answered, nothing owed, in conflict, held…), 2 when something does, 130/143 when Ctrl-C or
 * SIGTERM stopped it (transfers stopped, outcomes journalled, summary printed). An error once
 * the apply has begun is reported with the summary so far, exit 2: something may have changed.
 */
export async function carryOut(
  ctx: RunContext,
  plan: Plan,
  /** What the plan was built from; null for a saved plan. With the scans (`seen`), an apply that leaves every machine alike writes their seen lines. */
  from: { readonly snapshot: Snapshot; readonly base: Base | null; readonly seen?: PlanRun['seen']; readonly machineBases: MachineBases } | null,
  sshOptions: readonly string[],
  flags: CarryOutFlags,
  io: CommandIO,
  /**
   * Journal items the caller settles once the outcomes are known (resume). Without it, what the
   * journal owed that the plan finds in sync on a machine that answered is settled.
   */
  settle?: (outcomes: readonly StepOutcome[]) => readonly { path: string; machine: string; reason: string }[],
): Promise<number> {
  const color = wantsColor(io);
  const json = flags.json === true;
  const emit = (event: object) => io.stdout(JSON.stringify(event) + '\n');

  const snapshot = from?.snapshot ?? null;
  // Without a snapshot (a saved plan) or one of narrowed paths, the guard takes a fresh count of the machines.
  const deletionGuard = await checkDeletionsAllowed(ctx, plan, snapshot, sshOptions, flags);

  // In pieces: a plan of millions of steps is more than one string holds.
  if (json) writeJson(io, { event: 'plan', plan: buildPlanDocument(plan, { deletionGuard }) });
  else io.stdout(renderPlanText(plan, { color, full: flags.full === true, width: terminalWidth(io), deletionGuard }));

  if (!(await readApproval(plan, flags, io))) return 1;

  // From here Ctrl-C and SIGTERM stop the transfers and the apply ends itself (see Interrupts).
  const release = io.interrupts?.hold();
  const signal = io.interrupts?.signal;
  const run = `${io.now().toString(36)}-${process.pid}`;
  // Every machine a step writes is locked before anything is written (the pulls' too: self);
  // the locks are taken while the precheck's shells start, and nothing begins before they are.
  // So is every machine whose base the apply writes at its end: all that took part in the scan.
  // A plan without steps writes nothing but, at its end, the bases and seen lines that changed:
  // those machines alone are locked then (below), and none when nothing changed.
  const targets = new Set(plan.steps.map((s) => s.to));
  const writes = new Set([...targets, ...(from ? from.snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name) : [])]);
  const holder = { host: io.hostname, pid: process.pid, run, nowMs: io.now() };
  const lockLater = plan.steps.length === 0;
  const locking = writes.size === 0 || lockLater ? undefined : takeMachineLocks(ctx.config, ctx.self.name, sshOptions, writes, holder, targets);
  locking?.catch(() => undefined); // awaited below; a refusal is thrown there
  let locks: MachineLocks | undefined;
  let seenLines: SeenLines | undefined;
  let bases: PendingBases | undefined;
  // The precheck's shells start now, while the journal is made ready; ended below, used or not.
  const sessions = openPlanSessions(ctx, plan, sshOptions, signal);
  const progress = buildProgressWriter(io, json);
  let journal: JournalWriter | undefined;
  /** What this run appends to the journal, to bring the owed index up to date. */
  const appended: JournalRecord[] = [];
  const known: StepOutcome[] = [];
  let begun = false;
  const startedMs = io.now();
  const report = (outcomes: readonly StepOutcome[], code: number, stopped = false, left = buildRemaining(plan, outcomes)) => {
    const remaining = [...left, ...(stopped ? [{ kind: 'stopped' as const }] : [])];
    const counts = { done: 0, failed: 0, stale: 0 };
    for (const o of outcomes) counts[o.status]++;
    if (json) emit({ event: 'summary', ...counts, deferred: plan.deferred.length, conflicts: plan.conflicts.length, ...summariseDone(outcomes), elapsedMs: Math.max(0, io.now() - startedMs), remaining, exitCode: code });
    else io.stdout('\n' + renderApplyResult(outcomes, plan.deferred, { color, remaining, elapsedMs: io.now() - startedMs }));
  };
  try {
    locks = await locking;
    for (const line of locks?.warnings ?? []) io.stderr(`warning: ${escapeControls(line)}\n`);
    // Nothing owed by the index: the compaction reads the journal for its begin records alone.
    const indexed = await readOwedIndex(ctx.config.stateDir);
    const compacted = await compactJournal(ctx.config.stateDir, JOURNAL_COMPACT_BYTES, indexed?.length === 0);
    if (plan.steps.length > 0) await clearSeenRecord(ctx.config.stateDir);
    const owedBefore = compacted ?? indexed ?? (await readOwedNow(ctx.config.stateDir));
    journal = recordAppends(await openJournal(ctx.config.stateDir), appended);
    await journal.append({ t: io.now(), event: 'begin', run, command: 'apply', planDigest: plan.snapshotDigest });
    begun = true;
    // A controller (self: none) relays each copy through a staging folder in its state folder.
    const carry = ctx.self.name === CONTROLLER ? (req: ApplyRequest) => applyRelayed(req, applySteps) : applySteps;
    const outcomes = await carry({
      config: ctx.config,
      self: ctx.self.name,
      sshOptions,
      plan,
      journal,
      run,
      now: io.now,
      trashStamp: buildTrashRun(io.now()),
      onOutcome: (o) => {
        known.push(o);
        if (json) emit({ event: 'step', status: o.status, action: o.step.action, path: o.step.path, from: o.step.from, to: o.step.to, reason: o.reason });
      },
      onProgress: progress.update,
      sessions,
      // The machines locked here that a step writes: their temp folders were made with their locks.
      ready: new Set((locks?.machines ?? []).filter((name) => targets.has(name))),
      signal,
    });
    progress.clear();
    const settled = settle ? settle(outcomes) : buildSettledInSync(plan, snapshot, owedBefore);
    await journal.appendMany(settled.map((i) => ({ t: io.now(), event: 'settled' as const, run, ...i })));
    // Under the lock since the plan was made: the base read then is still the base.
    const base = from?.base ?? (await readBase(ctx.config.stateDir));
    const next = buildBaseAfterApply(base, plan, outcomes, snapshot);
    // The controller's copy now; each machine's part as its lock is released (below), with its seen line.
    bases = await writeBases(ctx, { next, previous: base, plan, outcomes, from, nowMs: io.now(), host: io.hostname });
    // The machines' seen lines, when it left them alike: written as their locks are released.
    if (snapshot && from?.seen) seenLines = (await buildSeenAfterApply(ctx, { plan, outcomes, snapshot, next, seen: from.seen, sshOptions, ...(signal ? { signal } : {}) }, io.now())) ?? undefined;
    if (lockLater) {
      const touched = new Set([...bases.files.keys(), ...(seenLines?.lines.keys() ?? [])]);
      if (touched.size > 0) {
        locks = await takeMachineLocks(ctx.config, ctx.self.name, sshOptions, touched, holder);
        for (const line of locks.warnings) io.stderr(`warning: ${escapeControls(line)}\n`);
      }
    }
    const left = buildRemaining(plan, outcomes);
    const code = signal?.aborted ? interruptExitCode(signal.reason) : left.length > 0 ? 2 : 0;
    await journal.append({ t: io.now(), event: 'end', run, exitCode: code });
    await journal.close();
    await writeOwedIndex(ctx.config.stateDir, owedBefore, appended);
    report(outcomes, code, false, left);
    return code;
  } catch (err) {
    if (!begun) throw err;
    // Transfers may have begun: say what is known, and that something may have changed (exit 2).
    progress.clear();
    const lines = err instanceof BlatError ? err.lines : [sanitizeForTerminal((err as Error)?.message ?? String(err))];
    for (const line of lines) io.stderr(`blat: ${escapeControls(line)}\n`);
    await journal?.append({ t: io.now(), event: 'end', run, exitCode: 2 }).catch(() => undefined);
    report(known, 2, true);
    return 2;
  } finally {
    progress.clear();
    await journal?.close().catch(() => undefined);
    await Promise.all([...sessions.values()].map((session) => session.close()));
    const released = await locks?.release(seenLines, bases?.files);
    for (const line of released?.warnings ?? []) io.stderr(`warning: ${escapeControls(line)}\n`);
    // A failure leaves the copy standing for no machine whose part changed: their scans send it again.
    await bases?.settle(released?.based ?? new Set()).catch((error: unknown) => io.stderr(`warning: ${escapeControls(`${baseIdsPath(ctx.config.stateDir)}: cannot write (${describeError(error)}); the machines send their bases next time`)}\n`));
    release?.();
  }
}
