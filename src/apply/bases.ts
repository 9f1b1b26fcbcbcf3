// The base an apply leaves: each machine's own part, the controller's copy, and the ids of what that copy holds.
import { readWholeBase, writeBase } from '../state/base.js';
import { readBaseIds, writeBaseIds } from '../state/baseIds.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import type { Base, Plan, Snapshot } from '../types.js';
import type { RunContext } from '../commands/context.js';
import { applyMachineBases } from './machineBases.js';
import { buildSyncId } from '../state/machineBase.js';
import type { StepOutcome } from './applySteps.js';

/**
 * Writes the base after an apply: first each machine's own part on the machine (those that took
 * part in the sync: every online machine of the plan's scan; none for a saved plan, whose scan
 * this run did not see), then the controller's copy (base.json), then the
 * ids of what that copy holds. A machine that could not be written keeps its older base, and the
 * controller's copy is not taken for its base: its scan sends it again next time.
 */
export async function writeBases(
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
  },
): Promise<void> {
  const { config } = ctx;
  // Under the state lock since the scan: the ids it read are still bases.json's (a saved plan's run read none).
  const ids = new Map((w.from ? w.from.machineBases.have : await readBaseIds(config.stateDir, config.setName)) ?? []);
  const id = buildSyncId(w.nowMs);
  // After Ctrl-C too: what the done steps wrote is recorded (else a later edit of a copy sent could look like a conflict).
  const machines = w.from ? w.from.snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name) : [];
  let written = new Map<string, string>();
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
  // The copy stands for a machine's base only where this run wrote the same on the machine, or changed nothing of it.
  for (const name of machines) if (!written.has(name)) ids.delete(name);
  for (const [name, now] of written) ids.set(name, now);
  for (const o of w.outcomes) for (const name of [o.step.from, o.step.to]) if (o.status === 'done' && !written.has(name)) ids.delete(name);
  await writeBaseIds(config.stateDir, config.setName, ids);
}
