import { UsageError } from '../errors.js';
import { escapeControls } from '../escape.js';
import type { RunContext } from './context.js';

/** The machines `--new` names, checked against the config: one line naming an unknown or out-of-use one, exit 1. */
export function readNewMachines(ctx: RunContext, names: readonly string[] | undefined): ReadonlySet<string> {
  const out = new Set<string>();
  for (const name of names ?? []) {
    const m = ctx.config.machines.find((x) => x.name === name);
    if (m === undefined) throw new UsageError(`--new ${escapeControls(name)}: no such machine in ${escapeControls(ctx.config.file)}`);
    if (m.state === 'outofuse') throw new UsageError(`--new ${name}: the machine is out of use in ${escapeControls(ctx.config.file)}`);
    out.add(name);
  }
  return out;
}
