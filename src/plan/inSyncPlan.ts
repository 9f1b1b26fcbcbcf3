// The plan of a snapshot known to be uniform without its entries (every machine's listing matched the in-sync memo).
import type { MachineObservation, Plan } from '../types.js';
import { freezePlan } from './buildPlan.js';

export interface InSyncPlanInput {
  readonly configDigest: string;
  readonly self: string;
  readonly snapshotDigest: string;
  /** Every configured machine; none offline. */
  readonly machines: readonly MachineObservation[];
  readonly targets: readonly string[];
  /** Paths alike everywhere. */
  readonly inSync: number;
  readonly nowMs: number;
}

/**
 * The plan buildPlan makes of a uniform snapshot with no machine offline (see isUniformSnapshot):
 * nothing to do, `inSync` paths alike.
 */
export function buildInSyncPlan(input: InSyncPlanInput): Plan {
  if (input.machines.some((m) => m.status === 'offline')) throw new Error('buildInSyncPlan: a machine is offline');
  return freezePlan({
    self: input.self,
    configDigest: input.configDigest,
    snapshotDigest: input.snapshotDigest,
    createdAtMs: input.nowMs,
    targets: input.targets,
    machines: input.machines,
    steps: [],
    deferred: [],
    conflicts: [],
    deletions: [],
    warnings: [],
    inSync: input.inSync,
  });
}
