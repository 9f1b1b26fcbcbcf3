// `plan --checksum`: copies that agree by size and mtime but not by content are conflicts.
import type { Conflict, ConflictVersion, Entry, Plan, Snapshot } from '../types.js';
import { freezePlan } from './buildPlan.js';
import { sameVersion } from './versions.js';

/** The reason such a conflict gives. */
export const CHECKSUM_CONFLICT_REASON = 'same size and mtime, different content (sha256)';

/**
 * The plan with every file path where two online machines hold the same version (size and mtime
 * within `window`) with different sha256 listed as a conflict, its steps, deferred entries and
 * deletions dropped (a copy blat would take for the winner may not be what the others hold). The
 * plan as it is when the snapshot has no sums, or none differ.
 */
export function addChecksumConflicts(plan: Plan, snapshot: Snapshot, window: number): Plan {
  const sums = snapshot.sums;
  if (sums === undefined) return plan;
  const online = snapshot.machines.filter((m) => m.status === 'online' && snapshot.entries.has(m.name)).map((m) => m.name);
  const already = new Set(plan.conflicts.map((c) => c.path));
  const found: Conflict[] = [];
  const seen = new Set<string>();
  for (const name of online) {
    for (const path of sums.get(name)?.keys() ?? []) {
      if (seen.has(path)) continue;
      seen.add(path);
      if (already.has(path)) continue;
      const holders: { name: string; entry: Entry; sum: string }[] = [];
      for (const m of online) {
        const entry = snapshot.entries.get(m)?.get(path);
        const sum = sums.get(m)?.get(path);
        if (entry?.type === 'file' && sum !== undefined) holders.push({ name: m, entry, sum });
      }
      const differs = holders.some((a, i) => holders.some((b, j) => j > i && a.sum !== b.sum && sameVersion(a.entry, b.entry, window)));
      if (!differs) continue;
      const bySum = new Map<string, { machines: string[]; entry: Entry }>();
      for (const h of holders) {
        const group = bySum.get(h.sum);
        if (group) group.machines.push(h.name);
        else bySum.set(h.sum, { machines: [h.name], entry: h.entry });
      }
      const versions: ConflictVersion[] = [...bySum.values()].map((g) => Object.freeze({ machines: Object.freeze(g.machines), entry: g.entry, changed: false }));
      found.push(Object.freeze({ path, reason: CHECKSUM_CONFLICT_REASON, versions: Object.freeze(versions) }));
    }
  }
  if (found.length === 0) return plan;
  const paths = new Set(found.map((c) => c.path));
  const busy = new Set([...plan.steps.map((s) => s.path), ...plan.deletions.map((d) => d.path)]);
  const wasInSync = found.filter((c) => !busy.has(c.path)).length;
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return freezePlan({
    self: plan.self,
    configDigest: plan.configDigest,
    snapshotDigest: plan.snapshotDigest,
    createdAtMs: plan.createdAtMs,
    targets: plan.targets,
    machines: plan.machines,
    steps: plan.steps.filter((s) => !paths.has(s.path)),
    deferred: plan.deferred.filter((d) => !paths.has(d.path)),
    conflicts: [...plan.conflicts, ...found].sort(byPath),
    deletions: plan.deletions.filter((d) => !paths.has(d.path)),
    inSync: plan.inSync - wasInSync,
    warnings: plan.warnings,
  });
}
