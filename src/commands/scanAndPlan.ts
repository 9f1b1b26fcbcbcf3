import { buildPlan } from '../plan/buildPlan.js';
import { isUniformSnapshot } from '../plan/uniform.js';
import { sanitizeForTerminal } from '../escape.js';
import { readBase } from '../state/base.js';
import { readMachineStates, updateMachineStates, writeMachineStates } from '../state/machineState.js';
import { scanSnapshot } from '../snapshot/scanSnapshot.js';
import type { Base, Plan, PlanOptions, Snapshot } from '../types.js';
import { readySshOptions, type RunContext } from './context.js';
import type { CommandIO } from './io.js';

export interface PlanRun {
  readonly plan: Plan;
  readonly snapshot: Snapshot;
  /** The base the plan was built with; null when it was not needed and not read (`needBase: false`). */
  readonly base: Base | null;
  readonly sshOptions: readonly string[];
}

/**
 * Scans every machine once, reads the base, builds the plan, and records the observed
 * machine states in state.json. Scan warnings go to stderr. With `needBase: false` (plan
 * only) the base is not read when the snapshot is uniform: it could not change the plan.
 */
export async function scanAndPlan(ctx: RunContext, options: PlanOptions, io: CommandIO, needBase = true): Promise<PlanRun> {
  const sshOptions = await readySshOptions(ctx.config);
  const [{ snapshot, warnings }, previous] = await Promise.all([
    scanSnapshot({ config: ctx.config, self: ctx.self.name, paths: ctx.targets, sshOptions }),
    readMachineStates(ctx.config.stateDir, ctx.config.machines.map((m) => m.name)),
  ]);
  for (const w of warnings) io.stderr(`warning: ${sanitizeForTerminal(w)}\n`);
  await writeMachineStates(ctx.config.stateDir, updateMachineStates(previous, snapshot.machines, snapshot.takenAtMs));
  const base = needBase || !isUniformSnapshot(snapshot, options.modifyWindow) ? await readBase(ctx.config.stateDir) : null;
  const plan = buildPlan({ configDigest: ctx.config.digest, snapshot, base: base ?? new Map(), options, nowMs: io.now() });
  return { plan, snapshot, base, sshOptions };
}
