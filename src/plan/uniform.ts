import type { Snapshot } from '../types.js';
import { sameVersion } from './versions.js';

/**
 * True when every online machine holds the same paths with the same versions. Such a snapshot
 * plans to nothing but "in sync" whatever the base says (unless a machine is offline, whose
 * deferred entries depend on its base), so the caller may skip reading the base.
 */
export function isUniformSnapshot(snapshot: Snapshot, window: number): boolean {
  if (snapshot.machines.some((m) => m.status === 'offline')) return false;
  const maps = [...snapshot.entries.values()];
  if (maps.length < 2) return maps.length === 1;
  const [first, ...others] = maps;
  if (others.some((m) => m.size !== first.size)) return false;
  for (const [path, entry] of first) {
    for (const other of others) if (!sameVersion(entry, other.get(path), window)) return false;
  }
  return true;
}
