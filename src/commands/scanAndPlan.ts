import { buildMachineExcludes } from '../config/excludes.js';
import { observeMachines, type ObserveOptions, type Observed } from '../observe/observeMachines.js';
import { buildPlan } from '../plan/buildPlan.js';
import { addChecksumConflicts } from '../plan/checksums.js';
import type { Base, Plan, PlanOptions, Snapshot } from '../types.js';
import type { RunContext } from './context.js';
import type { CommandIO } from './io.js';

/** A plan and what it was built from. */
export interface PlanRun {
  readonly plan: Plan;
  /**
   * What an apply of the plan builds the next base from: every entry scanned, or (Snapshot.partial)
   * only the paths that may differ — none when every machine answered "same" by its seen line.
   */
  readonly snapshot: Snapshot;
  /** The base read with it; null when it was not needed and not read (`needBase: false`). */
  readonly base: Base | null;
  readonly sshOptions: readonly string[];
  /** The scans and seen copy (for an apply that leaves every machine alike to write their seen lines). */
  readonly seen?: Observed['seen'];
  readonly machineBases: Observed['machineBases'];
}

/** How scanAndPlan reads the machines (see observeMachines). */
export type ScanAndPlanOptions = ObserveOptions;

/** Observes every machine once (observe/observeMachines.ts) and plans what is left to decide. */
export async function scanAndPlan(ctx: RunContext, options: PlanOptions, io: CommandIO, how: ScanAndPlanOptions = {}): Promise<PlanRun> {
  const { config } = ctx;
  const seen = await observeMachines(ctx, options, io, how);
  const planned = buildPlan({ configDigest: config.digest, snapshot: seen.decide, base: seen.base, options, nowMs: io.now(), excludedOn: buildMachineExcludes(config) });
  const plan = how.checksum ? addChecksumConflicts(planned, seen.scanned, options.modifyWindow) : planned;
  return { plan, snapshot: seen.scanned, base: seen.scannedBase, sshOptions: seen.sshOptions, seen: seen.seen, machineBases: seen.machineBases };
}
