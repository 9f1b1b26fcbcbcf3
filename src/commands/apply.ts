import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { applySteps, type StepOutcome } from '../apply/applySteps.js';
import { buildBaseAfterApply } from '../apply/baseAfterApply.js';
import { buildTrashRun } from '../apply/trashRun.js';
import { takeMachineLocks, type MachineLocks } from '../apply/machineLocks.js';
import { escapeControls } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { renderApplyResult, summariseDone } from '../render/applyResult.js';
import { buildProgressState, renderProgressLines, updateProgress, type ProgressReport } from '../render/progress.js';
import { buildPlanDocument } from '../render/json.js';
import { renderPlanText } from '../render/table.js';
import { describeTransfers } from '../render/summary.js';
import { sanitizeForTerminal } from '../escape.js';
import { findBaseOrigin, readBase, readWholeBase, writeBase } from '../state/base.js';
import { readBaseIds, writeBaseIds } from '../state/baseIds.js';
import { applyMachineBases, buildSyncId } from '../apply/machineBases.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import { readNewMachines } from './newMachines.js';
import { readFileHead } from '../state/fsErrors.js';
import { writeSyncedListing } from '../state/syncedListing.js';
import { buildSyncedRecord } from '../apply/syncedAfterApply.js';
import { clearInSyncMemo } from '../state/inSyncMemo.js';
import { compactJournal, openJournal } from '../state/journal.js';
import { acquireLock, type Lock } from '../state/lock.js';
import type { Base, JournalRecord, Plan, Snapshot } from '../types.js';
import { buildPlanOptions, readRunContext, readySshOptions, type RunContext } from './context.js';
import { readProbedContext } from './probeRoots.js';
import { interruptExitCode, terminalWidth, wantsColor, type CommandIO, type GlobalOptions } from './io.js';
import { buildRemaining, buildStillOwed } from '../plan/remaining.js';
import { isUnder } from '../config/paths.js';
import { readOwedNow, writeOwedIndex } from '../state/owedIndex.js';
import type { JournalWriter, OwedItem } from '../state/journal.js';
import { scanSnapshot } from '../snapshot/scanSnapshot.js';
import { scanAndPlan, type PlanRun } from './scanAndPlan.js';
import { checkDeletionsAllowed } from './deletionGuard.js';
import { checkSavedPlanFlags, checkSavedPlanNotApplied, checkSavedPlanSteps } from './savedPlan.js';
import { openScriptSession, type ScriptSession } from '../transport/runScript.js';
import { buildScriptTarget } from '../transport/targets.js';
import { readSavedPlan } from './show.js';

export interface ApplyFlags extends GlobalOptions {
  readonly autoApprove?: boolean;
  readonly resume?: boolean;
  readonly json?: boolean;
  readonly full?: boolean;
  readonly prefer?: string;
  /** --keep-both: conflicts between files resolved as --prefer newest, every other version kept beside as a conflict copy. */
  readonly keepBoth?: boolean;
  readonly propagateDeletes?: boolean;
  readonly forceDeletes?: boolean;
  /** --new MACHINE…: take these machines as new (see ScanAndPlanOptions.newMachines). */
  readonly new?: readonly string[];
}

/** `blat apply [PATH...]` or `blat apply FILE`: plan (or read the saved plan) and carry it out. */
export async function applyCommand(args: readonly string[], flags: ApplyFlags, io: CommandIO): Promise<number> {
  if (flags.resume) {
    const { resumeCommand } = await import('./resume.js');
    if (args.length > 0) throw new UsageError('apply --resume takes no paths: it finishes what the journal says is owed');
    return resumeCommand(flags, io);
  }
  const planFile = args.length === 1 ? await readPlanFileArgument(args[0], io.cwd) : undefined;
  if (planFile !== undefined) return applySavedPlan(planFile, flags, io);
  if (args.length > 1) await refusePlanFileAmongPaths(args, io.cwd);

  const declared = await readRunContext(flags, io, args);
  // Taken as new (a replaced disk): its root probed again, the kept probe of the old filesystem dropped.
  const fresh = readNewMachines(declared, flags.new);
  const ctx = await readProbedContext(declared, io, fresh);
  const options = buildPlanOptions(ctx, flags);
  requireApprovalPossible(flags, io);
  return withLock(ctx, io, 'apply', async () => {
    const run = await scanAndPlan(ctx, options, io, { useSynced: true, report: flags.verbose ? io.stderr : undefined, newMachines: fresh });
    return carryOut(ctx, run.plan, { snapshot: run.snapshot, base: run.base, selfListing: run.selfListing, machineBases: run.machineBases }, run.sshOptions, flags, io);
  });
}

/** The plan file named by a lone argument, if it is one (a JSON document with a formatVersion). */
async function readPlanFileArgument(arg: string, cwd: string): Promise<string | undefined> {
  const path = resolve(cwd, arg);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile() || st.size > 512 * 1024 * 1024) return undefined;
  // Only the head is looked at: the argument may as well be a large file to narrow the run to.
  const head = await readFileHead(path, 4096).then((b) => b.toString('utf8'), () => '');
  return /^\s*\{[\s\S]*"formatVersion"/.test(head) ? arg : undefined;
}

/** Refuses path arguments given with a saved plan: it is applied as it was planned (narrowed when planning, if at all). */
async function refusePlanFileAmongPaths(args: readonly string[], cwd: string): Promise<void> {
  for (const arg of args) {
    if ((await readPlanFileArgument(arg, cwd)) === undefined) continue;
    throw new BlatError(`${escapeControls(arg)}: refused: a saved plan is applied as it was planned, without path arguments; narrow the run when planning (blat plan PATH... --out FILE)`);
  }
}

async function applySavedPlan(file: string, flags: ApplyFlags, io: CommandIO): Promise<number> {
  checkSavedPlanFlags(file, flags);
  const plan = await readSavedPlan(file, io.cwd);
  const ctx = await readProbedContext(await readRunContext({ ...flags, self: flags.self ?? plan.self }, io, []), io);
  if (plan.configDigest !== ctx.config.digest) {
    throw new BlatError(`${escapeControls(file)}: refused: it was planned with a different configuration than ${escapeControls(ctx.config.file)} (config digest differs); run blat plan again`);
  }
  if (plan.self !== ctx.self.name) {
    throw new BlatError(`${escapeControls(file)}: refused: it was planned on ${escapeControls(plan.self)}, but this is ${ctx.self.name}`);
  }
  checkSavedPlanSteps(file, plan, ctx.config);
  const sshOptions = await readySshOptions(ctx.config);
  return withLock(ctx, io, `apply ${file}`, async () => {
    await checkSavedPlanNotApplied(file, plan, ctx.config.stateDir);
    return carryOut(ctx, plan, null, sshOptions, { ...flags, autoApprove: true }, io);
  });
}

/** Refuses early (before contacting anything) when approval is needed but cannot be asked. */
export function requireApprovalPossible(flags: ApplyFlags, io: CommandIO): void {
  if (!flags.autoApprove && !io.stdinIsTTY) {
    throw new UsageError('no terminal to ask for approval: pass --auto-approve, or save a plan with `blat plan --out FILE` and run `blat apply FILE`');
  }
}

/** Runs `work` holding the state directory's lock. */
export async function withLock(ctx: RunContext, io: CommandIO, command: string, work: () => Promise<number>): Promise<number> {
  const lock: Lock = await acquireLock(ctx.config.stateDir, { command: `blat ${command}`, nowMs: io.now(), hostname: io.hostname, pid: process.pid });
  if (lock.warning) io.stderr(`warning: ${sanitizeForTerminal(lock.warning)}\n`);
  try {
    return await work();
  } finally {
    await lock.release();
  }
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
  /** What the plan was built from; null for a saved plan. With self's listing, a synced listing is recorded when the apply leaves everything in sync. */
  from: { readonly snapshot: Snapshot; readonly base: Base | null; readonly selfListing?: PlanRun['selfListing']; readonly machineBases: MachineBases } | null,
  sshOptions: readonly string[],
  flags: ApplyFlags,
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

  if (json) emit({ event: 'plan', plan: buildPlanDocument(plan, { deletionGuard }) });
  else io.stdout(renderPlanText(plan, { color, full: flags.full === true, width: terminalWidth(io), deletionGuard }));

  if (plan.steps.length > 0 && !flags.autoApprove) {
    const answer = await io.ask(`\nApply: ${describeTransfers(plan)}? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.stderr('Apply cancelled; nothing was changed.\n');
      return 1;
    }
  }

  // From here Ctrl-C and SIGTERM stop the transfers and the apply ends itself (see Interrupts).
  const release = io.interrupts?.hold();
  const signal = io.interrupts?.signal;
  const run = `${io.now().toString(36)}-${process.pid}`;
  // Every machine a step writes is locked before anything is written (the pulls' too: self);
  // the locks are taken while the precheck's shells start, and nothing begins before they are.
  const writes = new Set(plan.steps.map((s) => s.to));
  const locking = writes.size === 0 ? undefined : takeMachineLocks(ctx.config, ctx.self.name, sshOptions, writes, { host: io.hostname, pid: process.pid, run, nowMs: io.now() }, signal);
  locking?.catch(() => undefined); // awaited below; a refusal is thrown there
  let locks: MachineLocks | undefined;
  // The precheck's shells start now, while the journal is made ready; ended below, used or not.
  const sessions = openPlanSessions(ctx, plan, sshOptions, signal);
  const progress = buildProgressWriter(io, json);
  let journal: JournalWriter | undefined;
  /** What this run appends to the journal, to bring the owed index up to date. */
  const appended: JournalRecord[] = [];
  const known: StepOutcome[] = [];
  let begun = false;
  const startedMs = io.now();
  const report = (outcomes: readonly StepOutcome[], code: number, stopped = false) => {
    const remaining = [...buildRemaining(plan, outcomes), ...(stopped ? [{ kind: 'stopped' as const }] : [])];
    const counts = { done: 0, failed: 0, stale: 0 };
    for (const o of outcomes) counts[o.status]++;
    if (json) emit({ event: 'summary', ...counts, deferred: plan.deferred.length, conflicts: plan.conflicts.length, ...summariseDone(outcomes), elapsedMs: Math.max(0, io.now() - startedMs), remaining, exitCode: code });
    else io.stdout('\n' + renderApplyResult(outcomes, plan.deferred, { color, remaining, elapsedMs: io.now() - startedMs }));
  };
  try {
    locks = await locking;
    for (const line of locks?.warnings ?? []) io.stderr(`warning: ${escapeControls(line)}\n`);
    await compactJournal(ctx.config.stateDir);
    if (plan.steps.length > 0) await clearInSyncMemo(ctx.config.stateDir);
    const owedBefore = await readOwedNow(ctx.config.stateDir);
    journal = recordAppends(await openJournal(ctx.config.stateDir), appended);
    await journal.append({ t: io.now(), event: 'begin', run, command: 'apply', planDigest: plan.snapshotDigest });
    begun = true;
    const outcomes = await applySteps({
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
      signal,
    });
    progress.clear();
    const settled = settle ? settle(outcomes) : buildSettledInSync(plan, snapshot, owedBefore);
    await journal.appendMany(settled.map((i) => ({ t: io.now(), event: 'settled' as const, run, ...i })));
    // Under the lock since the plan was made: the base read then is still the base.
    const base = from?.base ?? (await readBase(ctx.config.stateDir));
    const next = buildBaseAfterApply(base, plan, outcomes, snapshot);
    await writeBases(ctx, { next, previous: base, plan, outcomes, from, sshOptions, nowMs: io.now(), host: io.hostname, interrupted: signal?.aborted === true });
    if (snapshot && from?.selfListing) await recordSyncedListing(ctx.config.stateDir, from.selfListing, snapshot, next, plan, outcomes);
    const code = signal?.aborted ? interruptExitCode(signal.reason) : buildRemaining(plan, outcomes).length > 0 ? 2 : 0;
    await journal.append({ t: io.now(), event: 'end', run, exitCode: code });
    await journal.close();
    await writeOwedIndex(ctx.config.stateDir, owedBefore, appended);
    report(outcomes, code);
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
    for (const line of (await locks?.release()) ?? []) io.stderr(`warning: ${escapeControls(line)}\n`);
    release?.();
  }
}

/**
 * Writes the base after an apply: first each machine's own part on the machine (those that took
 * part in the sync: every online machine of the plan's scan; none for a saved plan, whose scan
 * this run did not see, nor after an interrupt), then the controller's copy (base.json), then the
 * ids of what that copy holds. A machine that could not be written keeps its older base, and the
 * controller's copy is not taken for its base: its scan sends it again next time.
 */
async function writeBases(
  ctx: RunContext,
  w: {
    readonly next: Base;
    readonly previous: Base;
    readonly plan: Plan;
    readonly outcomes: readonly StepOutcome[];
    readonly from: { readonly snapshot: Snapshot; readonly machineBases: MachineBases } | null;
    readonly sshOptions: readonly string[];
    readonly nowMs: number;
    readonly host: string;
    readonly interrupted: boolean;
  },
): Promise<void> {
  const { config } = ctx;
  const before = (await readBaseIds(config.stateDir, config.setName)) ?? new Map<string, string>();
  const ids = new Map(before);
  const id = buildSyncId(w.nowMs);
  const machines = w.from && !w.interrupted ? w.from.snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name) : [];
  let written = new Set<string>();
  if (w.from && machines.length > 0) {
    written = await applyMachineBases({
      config,
      self: ctx.self.name,
      sshOptions: w.sshOptions,
      previous: w.previous,
      next: w.next,
      readWhole: () => readWholeBase(config.stateDir, w.next, w.previous),
      machines,
      before: w.from.machineBases,
      id,
      nowMs: w.nowMs,
      host: w.host,
      pid: process.pid,
    });
  }
  await writeBase(config.stateDir, w.next, w.previous);
  if (w.from) {
    // What the scans sent is in the copy now.
    for (const [name, f] of w.from.machineBases.found) {
      if (f.kind === 'sent' || f.kind === 'cached') ids.set(name, f.head.id);
      else ids.delete(name);
    }
  }
  for (const name of machines) if (!written.has(name)) ids.delete(name);
  for (const name of written) ids.set(name, id);
  // Machines a step touched without this run writing their base: the copy is no longer theirs.
  for (const o of w.outcomes) if (o.status === 'done' && !written.has(o.step.to)) ids.delete(o.step.to);
  await writeBaseIds(config.stateDir, config.setName, ids);
}

/** The journal writer, keeping a copy of every record appended in `into`. */
function recordAppends(journal: JournalWriter, into: JournalRecord[]): JournalWriter {
  return {
    file: journal.file,
    append: (record) => {
      into.push(record);
      return journal.append(record);
    },
    appendMany: (records) => {
      for (const record of records) into.push(record); // not push(...): 100,000s of records
      return journal.appendMany(records);
    },
    close: () => journal.close(),
  };
}

/**
 * The owed items a plain apply settles: those of a machine that answered, at a path it scanned,
 * for which the plan has nothing (no step, deferral, conflict or held deletion): the machine
 * holds what the others do. (A step's own outcome settles its item, or keeps it owed.) None
 * without a snapshot (a saved plan) or when a folder could not be read.
 */
export function buildSettledInSync(plan: Plan, snapshot: Snapshot | null, owed: readonly OwedItem[]): { path: string; machine: string; reason: string }[] {
  if (snapshot === null || owed.length === 0 || plan.warnings?.some((w) => w.kind === 'unreadable')) return [];
  const answered = new Set(snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name));
  const still = buildStillOwed(plan);
  return owed
    .filter((o) => answered.has(o.machine) && snapshot.paths.some((p) => isUnder(o.path, p)) && !still(o.path, o.machine))
    .map((o) => ({ path: o.path, machine: o.machine, reason: 'in sync after a fresh scan' }));
}

/** A shell started on every machine the plan's steps name (see openScriptSession). */
function openPlanSessions(ctx: RunContext, plan: Plan, sshOptions: readonly string[], signal: AbortSignal | undefined): Map<string, ScriptSession> {
  const names = new Set(plan.steps.flatMap((s) => [s.from, s.to]));
  const limits = { stallTimeout: ctx.config.stallTimeout, signal };
  return new Map(
    ctx.config.machines.filter((m) => names.has(m.name)).map((m) => [m.name, openScriptSession(buildScriptTarget(m, ctx.self.name, sshOptions, limits))] as const),
  );
}

/**
 * Records self's listing as the synced listing when the apply left every scanned machine holding
 * what self held and the base says so (see state/syncedListing.ts). A cache: a failure to write
 * it only costs the next apply its speed.
 */
async function recordSyncedListing(
  stateDir: string,
  self: NonNullable<PlanRun['selfListing']>,
  snapshot: Snapshot,
  base: Base,
  plan: Plan,
  outcomes: readonly StepOutcome[],
): Promise<void> {
  const origin = findBaseOrigin(base);
  const record = origin && buildSyncedRecord(self.key, { bytes: self.listing.length, digest: self.digest }, snapshot, base, origin, plan, outcomes);
  if (record) await writeSyncedListing(stateDir, record, self.listing).catch(() => undefined);
}

/**
 * The live progress on a terminal (stderr, not with --json): the whole and one line per machine
 * being written, redrawn in place at most every 100 ms once the apply has run a second, and
 * cleared at the end. Nothing otherwise.
 */
export function buildProgressWriter(io: CommandIO, json: boolean) {
  const started = io.now();
  let state = buildProgressState(started);
  /** Lines on screen now (the cursor is at the end of the last). */
  let drawn = 0;
  let last = 0;
  const active = io.stderrIsTTY === true && !json;
  // One column spare: a line as wide as the terminal would move the cursor to the next.
  const width = Math.max(20, terminalWidth({ ...io, stdoutIsTTY: true }) - 1);
  /** Back to the first drawn line, cleared to the end of the screen. */
  const erase = () => (drawn > 1 ? `\u001b[${drawn - 1}A` : '') + '\r\u001b[J';
  return {
    update: active
      ? (p: ProgressReport) => {
          const now = io.now();
          state = updateProgress(state, p, now);
          if (now - started < 1000 || now - last < 100) return;
          last = now;
          const lines = renderProgressLines(state, now, width);
          io.stderr(erase() + lines.join('\n'));
          drawn = lines.length;
        }
      : undefined,
    clear: () => {
      if (drawn > 0) io.stderr(erase());
      drawn = 0;
    },
  };
}
