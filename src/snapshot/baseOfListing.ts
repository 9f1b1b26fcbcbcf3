// Whether a base is exactly what one machine's listing holds: what lets a listing stand for the
// base (the controller's copy of a seen token's listing). Pure.
import { buildUnderTest } from '../config/paths.js';
import type { Base, Entry, Snapshot } from '../types.js';

/** Base and listing entries agree: the same file or symlink, or both folders. */
function isSameSyncedEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.type === 'dir' || b.type === 'dir') return a.type === b.type;
  return a.type === b.type && a.mtime === b.mtime && a.size === b.size && a.mode === b.mode && a.target === b.target;
}

/**
 * True when `base` holds, for every machine of `names` and under `scopes`, exactly machine `of`'s
 * entries in `snapshot` (folders: by type), and names no other machine. For a partial snapshot
 * only its paths are looked at: elsewhere the base already was the listing it was compared with.
 */
export function isBaseOfListing(base: Base, names: readonly string[], snapshot: Snapshot, scopes: readonly string[], of: string): boolean {
  for (const name of base.keys()) if (!names.includes(name)) return false;
  const mine = snapshot.entries.get(of);
  if (mine === undefined) return false;
  if (snapshot.partial) {
    const paths = new Set<string>();
    for (const entries of snapshot.entries.values()) for (const path of entries.keys()) paths.add(path);
    for (const entries of base.values()) for (const path of entries.keys()) paths.add(path);
    for (const path of paths) {
      for (const name of names) if (!isSameSyncedEntry(base.get(name)?.get(path), mine.get(path))) return false;
    }
    return true;
  }
  const inScope = buildUnderTest(scopes);
  for (const name of names) {
    const held = base.get(name);
    let count = 0;
    let same = true;
    held?.forEach((entry, path) => {
      if (!same || !inScope(path)) return;
      count++;
      if (!isSameSyncedEntry(entry, mine.get(path))) same = false;
    });
    if (!same || count !== mine.size) return false;
  }
  return true;
}

/** True when `base` covers every machine of `names` for every path of `scopes` (a partial run built on the record assumes so). */
export function isCoveredFor(base: Base, names: readonly string[], scopes: readonly string[]): boolean {
  return names.every((name) => {
    const under = buildUnderTest(base.covered?.get(name) ?? []);
    return scopes.every(under);
  });
}
