// Path arguments that name nothing.
import { escapeControls } from '../escape.js';
import { BlatError } from '../errors.js';
import { findUnheldTargets } from '../plan/unheldTargets.js';
import type { Base, Snapshot } from '../types.js';
import type { RunContext } from '../commands/context.js';
import type { CommandIO } from '../commands/io.js';

/**
 * Refuses path arguments that name nothing (no machine holds anything there, the base knows
 * nothing there): one line naming them, exit 1. When an offline machine, or a folder a scan could
 * not read, may hold one, it is said on stderr instead and the run goes on. Whole sync paths are
 * not checked: one empty everywhere is in sync.
 */
export async function checkTargetsHeld(ctx: RunContext, snapshot: Snapshot, base: Base | null, io: CommandIO, readPlanBase: () => Promise<Base>): Promise<void> {
  if (!ctx.narrowed) return;
  const targets = ctx.targets.filter((t) => !ctx.config.paths.includes(t));
  let found = findUnheldTargets(targets, snapshot, base);
  // The base was not needed for the plan: read now, only for what no machine holds.
  if (base === null && found.missing.length + found.unknown.length > 0) found = findUnheldTargets(targets, snapshot, await readPlanBase());
  const offline = snapshot.machines.filter((m) => m.status === 'offline').map((m) => m.name);
  for (const t of found.unknown) {
    const why = offline.length > 0 ? `${offline.join(', ')} ${offline.length === 1 ? 'is' : 'are'} offline and may hold it` : 'a folder above or under it could not be read';
    io.stderr(`warning: ${escapeControls(t)}: no machine that answered holds it (${why})\n`);
  }
  if (found.missing.length > 0) {
    const names = found.missing.map(escapeControls).join(', ');
    throw new BlatError(`${names}: no machine holds ${found.missing.length === 1 ? 'it' : 'them'} and the last sync knew nothing there (a typo?)`);
  }
}
