import { constants } from 'node:buffer';
import { escapeControls } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { buildRemaining } from '../plan/remaining.js';
import { formatSize } from '../render/format.js';
import { buildPlanDocument } from '../render/json.js';
import { renderJsonBytes } from '../render/jsonChunks.js';
import { renderPlanText } from '../render/table.js';
import { writeFileAtomic } from '../state/atomicWrite.js';
import { resolve } from 'node:path';
import { readNewMachines } from './newMachines.js';
import { buildPlanOptions, readRunContext } from './context.js';
import { readProbedContext } from './probeRoots.js';
import { terminalWidth, wantsColor, writeJson, type CommandIO, type GlobalOptions } from './io.js';
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
  if (flags.out !== undefined) {
    const bytes = renderJsonBytes(doc, 2);
    // A saved plan is read back as one string (readSavedPlan): one longer than a string can be could never be applied.
    if (bytes.length > constants.MAX_STRING_LENGTH) {
      throw new BlatError(`${escapeControls(flags.out)}: not saved: this plan is ${formatSize(bytes.length)} as JSON, more than the ${formatSize(constants.MAX_STRING_LENGTH)} blat can read back; apply it without saving it (blat apply)`);
    }
    await writeFileAtomic(resolve(io.cwd, flags.out), bytes);
  }
  if (flags.json) writeJson(io, doc, 2);
  else if (flags.markdown) await (await import('./markdown.js')).writeMarkdownPlan(plan, io, deletionGuard);
  else {
    io.stdout(renderPlanText(plan, { color: wantsColor(io), full: flags.full === true, width: terminalWidth(io), deletionGuard }));
    if (flags.out !== undefined) io.stdout(`\nSaved this plan to ${flags.out}; apply it with: blat apply ${flags.out}\n`);
  }
  return flags.detailedExitcode && buildRemaining(plan).length > 0 ? 2 : 0;
}
