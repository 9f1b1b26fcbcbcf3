import { buildPlan } from '../plan/buildPlan.js';
import { sanitizeForTerminal } from '../render/terminal.js';
import { readBase } from '../state/base.js';
import { readMachineStates, updateMachineStates, writeMachineStates } from '../state/machineState.js';
import { scanSnapshot } from '../snapshot/scanSnapshot.js';
import type { Base, Plan, PlanOptions, Snapshot } from '../types.js';
import { readySshOptions, type RunContext } from './context.js';
import type { CommandIO } from './io.js';

export interface PlanRun {
  readonly plan: Plan;
  readonly snapshot: Snapshot;
  readonly base: Base;
  readonly sshOptions: readonly string[];
}

/**
 * Scans every machine once, reads the base, builds the plan, and records the observed
 * machine states in state.json. Scan warnings go to stderr.
 */
export async function scanAndPlan(ctx: RunContext, options: PlanOptions, io: CommandIO): Promise<PlanRun> {
  const sshOptions = await readySshOptions(ctx.config);
  const [{ snapshot, warnings }, base, previous] = await Promise.all([
    scanSnapshot({ config: ctx.config, self: ctx.self.name, paths: ctx.targets, sshOptions }),
    readBase(ctx.config.stateDir),
    readMachineStates(ctx.config.stateDir, ctx.config.machines.map((m) => m.name)),
  ]);
  for (const w of warnings) io.stderr(`warning: ${sanitizeForTerminal(w)}\n`);
  await writeMachineStates(ctx.config.stateDir, updateMachineStates(previous, snapshot.machines, snapshot.takenAtMs));
  const plan = buildPlan({ configDigest: ctx.config.digest, snapshot, base, options, nowMs: io.now() });
  return { plan, snapshot, base, sshOptions };
}
