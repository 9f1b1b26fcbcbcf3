// `blat apply`: plan (or read a saved plan) and carry it out (see apply/carryOut.ts).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { requireApprovalPossible } from '../apply/approval.js';
import { carryOut } from '../apply/carryOut.js';
import { withLock } from '../apply/stateLock.js';
import { escapeControls } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { readFileHead } from '../state/fsErrors.js';
import type { ApplyFlags } from './applyFlags.js';
import { buildPlanOptions, readRunContext, readySshOptions } from './context.js';
import type { CommandIO } from './io.js';
import { readNewMachines } from './newMachines.js';
import { readProbedContext } from './probeRoots.js';
import { checkSavedPlanFlags, checkSavedPlanNotApplied, checkSavedPlanSteps } from './savedPlan.js';
import { scanAndPlan } from './scanAndPlan.js';
import { readSavedPlan } from './show.js';

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
    const run = await scanAndPlan(ctx, options, io, { report: flags.verbose ? io.stderr : undefined, newMachines: fresh });
    return carryOut(ctx, run.plan, { snapshot: run.snapshot, base: run.base, seen: run.seen, machineBases: run.machineBases }, run.sshOptions, flags, io);
  });
}

/** The plan file named by a lone argument, if it is one (a JSON document with a formatVersion). */
async function readPlanFileArgument(arg: string, cwd: string): Promise<string | undefined> {
  const path = resolve(cwd, arg);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  // Only the head is looked at: the argument may as well be a large file to narrow the run to
  // (a saved plan too large to read is one: readSavedPlan says so).
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
