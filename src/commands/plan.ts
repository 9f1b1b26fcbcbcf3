import { UsageError } from '../errors.js';
import { buildRemaining } from '../plan/remaining.js';
import { buildPlanDocument } from '../render/json.js';
import { renderPlanText } from '../render/table.js';
import { writeFileAtomic } from '../state/atomicWrite.js';
import { resolve } from 'node:path';
import { readNewMachines } from './newMachines.js';
import { buildPlanOptions, readRunContext } from './context.js';
import { readProbedContext } from './probeRoots.js';
import { terminalWidth, wantsColor, type CommandIO, type GlobalOptions } from './io.js';
import { scanAndPlan } from './scanAndPlan.js';
import { readDeletionProblems } from './deletionGuard.js';

export interface PlanFlags extends GlobalOptions {
  readonly json?: boolean;
  readonly markdown?: boolean;
  readonly out?: string;
  readonly full?: boolean;
  readonly detailedExitcode?: boolean;
  readonly prefer?: string;
  /** --keep-both: conflicts between files resolved as --prefer newest, every other version kept beside as a conflict copy. */
  readonly keepBoth?: boolean;
  readonly propagateDeletes?: boolean;
  readonly checksum?: boolean;
  /** --new MACHINE…: take these machines as new (see ScanAndPlanOptions.newMachines). */
  readonly new?: readonly string[];
}

/** `blat plan [PATH...]`: scan, plan, print; with --detailed-exitcode, exit 2 when anything remains (see buildRemaining), 0 when in sync. */
export async function planCommand(paths: readonly string[], flags: PlanFlags, io: CommandIO): Promise<number> {
  if (flags.json && flags.markdown) throw new UsageError('--json and --markdown: choose one');
  const declared = await readRunContext(flags, io, paths);
  // Taken as new (a replaced disk): its root probed again, the kept probe of the old filesystem dropped.
  const fresh = readNewMachines(declared, flags.new);
  const ctx = await readProbedContext(declared, io, fresh);
  const options = buildPlanOptions(ctx, flags);
  const { plan, snapshot, sshOptions } = await scanAndPlan(ctx, options, io, { needBase: false, report: flags.verbose ? io.stderr : undefined, checksum: flags.checksum === true, newMachines: fresh });
  // With trash steps (--propagate-deletes), what apply's mass-deletion guard would say of them.
  const deletionGuard = await readDeletionProblems(ctx, plan, snapshot, sshOptions);
  const doc = buildPlanDocument(plan, { deletionGuard });
  if (flags.out !== undefined) await writeFileAtomic(resolve(io.cwd, flags.out), JSON.stringify(doc, null, 2) + '\n');
  if (flags.json) io.stdout(JSON.stringify(doc, null, 2) + '\n');
  else if (flags.markdown) await (await import('./markdown.js')).writeMarkdownPlan(plan, io, deletionGuard);
  else {
    io.stdout(renderPlanText(plan, { color: wantsColor(io), full: flags.full === true, width: terminalWidth(io), deletionGuard }));
    if (flags.out !== undefined) io.stdout(`\nSaved this plan to ${flags.out}; apply it with: blat apply ${flags.out}\n`);
  }
  return flags.detailedExitcode && buildRemaining(plan).length > 0 ? 2 : 0;
}
