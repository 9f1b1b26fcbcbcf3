// The snapshot of machines known alike without their entries.
import type { RunContext } from '../commands/context.js';
import type { Entry, MachineObservation, Snapshot } from '../types.js';

/**
 * The snapshot of machines that hold `alike` paths alike everywhere and nothing else to decide
 * (Snapshot.partial with no entries): what the planner gets when a cache (the machines' seen lines, or a
 * scan found identical) says so. `files`: each machine's file count, where known.
 */
export function buildAlikeSnapshot(ctx: RunContext, machines: readonly MachineObservation[], digest: string, takenAtMs: number, alike: number, files: ReadonlyMap<string, number>): Snapshot {
  const entries = new Map<string, ReadonlyMap<string, Entry>>(machines.filter((m) => m.status === 'online').map((m) => [m.name, new Map()]));
  return Object.freeze({ self: ctx.self.name, paths: Object.freeze([...ctx.targets]), machines, entries, takenAtMs, digest, partial: { alike, files } });
}
