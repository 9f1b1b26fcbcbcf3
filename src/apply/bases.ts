// The base an apply leaves: each machine's own part, the controller's copy, and the ids of what that copy holds.
import { readWholeBase, writeBase } from '../state/base.js';
import { readBaseIds, writeBaseIds } from '../state/baseIds.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import type { Base, Plan, Snapshot } from '../types.js';
import type { RunContext } from '../commands/context.js';
import type { SetFile } from '../transport/setFilesScript.js';
import { buildMachineBaseFiles, type MachineBaseAfter } from './machineBases.js';
import { buildSyncId } from '../state/machineBase.js';
import type { StepOutcome } from './applySteps.js';

/** The base an apply leaves, once the controller's copy is written; the machines' parts go with their locks' release. */
export interface PendingBases {
  /** Each machine's base files (head last), to be written as its lock is released. */
  readonly files: ReadonlyMap<string, readonly SetFile[]>;
  /** Records what the controller's copy stands for, once `based` (machines of `files`) hold their files. */
  settle(based: ReadonlySet<string>): Promise<void>;
}

/**
 * Writes the controller's copy of the base after an apply (base.json) and returns each machine's
 * own part, to be written on it as its lock is released: those that took part in the sync (every
 * online machine of the plan's scan; none for a saved plan, whose scan this run did not see).
 * The ids of what the copy holds first leave out every machine whose part changes, and `settle`
 * names those written: so at any instant the copy stands only for bases the machines hold. A
 * machine that could not be written keeps its older base, and the controller's copy is not taken
 * for its base: its scan sends it again next time.
 */
export async function writeBases(
  ctx: RunContext,
  w: {
    readonly next: Base;
    readonly previous: Base;
    readonly plan: Plan;
    readonly outcomes: readonly StepOutcome[];
    readonly from: { readonly snapshot: Snapshot; readonly machineBases: MachineBases } | null;
    readonly nowMs: number;
    readonly host: string;
  },
): Promise<PendingBases> {
  const { config } = ctx;
  // Under the state lock since the scan: the ids it read are still bases.json's (a saved plan's run read none).
  const known = new Map((w.from ? w.from.machineBases.have : await readBaseIds(config.stateDir, config.setName)) ?? []);
  // After Ctrl-C too: what the done steps wrote is recorded (else a later edit of a copy sent could look like a conflict).
  const machines = w.from ? w.from.snapshot.machines.filter((m) => m.status === 'online').map((m) => m.name) : [];
  let after = new Map<string, MachineBaseAfter>();
  if (w.from && machines.length > 0) {
    after = await buildMachineBaseFiles({
      config,
      previous: w.previous,
      next: w.next,
      readWhole: () => readWholeBase(config.stateDir, w.next, w.previous),
      machines,
      before: w.from.machineBases,
      id: buildSyncId(w.nowMs),
      nowMs: w.nowMs,
      host: w.host,
      pid: process.pid,
    });
  }
  /** The ids once the machines of `held` (machine → sync id) hold the base the copy has for them. */
  const idsHolding = (held: ReadonlyMap<string, string>) => {
    const ids = new Map(known);
    if (w.from) {
      // What the scans sent is in the copy now.
      for (const [name, f] of w.from.machineBases.found) {
        if (f.kind === 'sent' || f.kind === 'cached') ids.set(name, f.head.id);
        else ids.delete(name);
      }
    }
    // The copy stands for a machine's base only where this run wrote the same on the machine, or changed nothing of it.
    for (const name of machines) if (!held.has(name)) ids.delete(name);
    for (const [name, id] of held) ids.set(name, id);
    for (const o of w.outcomes) for (const name of [o.step.from, o.step.to]) if (o.status === 'done' && !held.has(name)) ids.delete(name);
    return ids;
  };
  const unchanged = new Map([...after].filter(([, a]) => a.kind === 'unchanged').map(([name, a]) => [name, a.id] as const));
  await writeBaseIds(config.stateDir, config.setName, idsHolding(unchanged));
  await writeBase(config.stateDir, w.next, w.previous);
  const files = new Map([...after].flatMap(([name, a]) => (a.kind === 'write' ? [[name, a.files] as const] : [])));
  return {
    files,
    async settle(based) {
      const held = new Map(unchanged);
      for (const name of based) {
        const a = after.get(name);
        if (a?.kind === 'write') held.set(name, a.id);
      }
      if (held.size > unchanged.size) await writeBaseIds(config.stateDir, config.setName, idsHolding(held));
    },
  };
}
