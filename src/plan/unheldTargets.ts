// Path arguments that name nothing: no online machine holds anything there and the base knows nothing there.
import { isUnder } from '../config/paths.js';
import type { Base, Snapshot } from '../types.js';

/** What the check found for the path arguments: those that name nothing, and those it cannot tell. */
export interface UnheldTargets {
  /** No machine holds it or anything under it (every machine answered), and the base knows nothing there. */
  readonly missing: readonly string[];
  /** Held by no online machine, but an offline machine (or a folder a scan could not read) may hold it. */
  readonly unknown: readonly string[];
}

/**
 * Splits the `targets` (narrowed paths, each under a sync path) that no online machine of the
 * snapshot holds, nor anything under them, and where no machine's base has an entry: `missing`
 * when every machine in use answered and could read there, `unknown` otherwise. A partial
 * snapshot (see Snapshot.partial) leaves out paths held alike everywhere: with any left out it
 * tells nothing (both lists empty).
 */
export function findUnheldTargets(targets: readonly string[], snapshot: Snapshot, base: Base | null): UnheldTargets {
  if (targets.length === 0 || (snapshot.partial !== undefined && snapshot.partial.alike > 0)) return { missing: [], unknown: [] };
  let left = [...targets];
  const drop = (path: string) => {
    left = left.filter((t) => !isUnder(path, t));
  };
  for (const entries of snapshot.entries.values()) {
    for (const t of [...left]) if (entries.has(t)) drop(t);
    if (left.length === 0) break;
    for (const path of entries.keys()) {
      drop(path);
      if (left.length === 0) break;
    }
  }
  if (left.length > 0 && base !== null) {
    for (const entries of base.values()) {
      if (left.length === 0) break;
      for (const t of [...left]) if (entries.has(t)) drop(t);
      for (const path of entries.keys()) {
        if (left.length === 0) break;
        if (left.some((t) => isUnder(path, t))) drop(path);
      }
    }
  }
  if (left.length === 0) return { missing: [], unknown: [] };
  const someOffline = snapshot.machines.some((m) => m.status === 'offline');
  const unreadable = [...(snapshot.unreadable?.values() ?? [])].flat().map((u) => u.path);
  const missing: string[] = [];
  const unknown: string[] = [];
  for (const t of left) {
    if (someOffline || unreadable.some((u) => isUnder(t, u) || isUnder(u, t))) unknown.push(t);
    else missing.push(t);
  }
  return { missing, unknown };
}
