import type { PlanOptions, Snapshot } from '../types.js';
import { buildVersionRules, pairPerms, pairWindow, sameVersion } from './versions.js';

/**
 * True when every online machine read every folder and holds the same paths with the same versions. Such a snapshot
 * plans to nothing but "in sync" whatever the base says (unless a machine is offline, whose
 * deferred entries depend on its base), so the caller may skip reading the base.
 */
export function isUniformSnapshot(snapshot: Snapshot, options: Pick<PlanOptions, 'modifyWindow' | 'windows' | 'ignorePerms'>): boolean {
  if (snapshot.machines.some((m) => m.status === 'offline') || (snapshot.unreadable?.size ?? 0) > 0) return false;
  const maps = [...snapshot.entries.values()];
  if (maps.length < 2) return maps.length === 1;
  const rules = buildVersionRules([...snapshot.entries.keys()], options);
  const [first, ...others] = maps;
  if (others.some((m) => m.size !== first.size)) return false;
  const windows = others.map((_, k) => pairWindow(rules, 0, k + 1));
  const perms = others.map((_, k) => pairPerms(rules, 0, k + 1));
  for (const [path, entry] of first) {
    for (let k = 0; k < others.length; k++) if (!sameVersion(entry, others[k].get(path), windows[k], perms[k])) return false;
  }
  return true;
}

/**
 * True when every machine scanned is online, could read every folder, and holds the same entries exactly as far as any plan
 * can tell (files and symlinks: type, mtime, size, mode, target all equal; folders: being folders —
 * no decision reads a folder's mtime or mode, and writing into a folder changes its mtime on each
 * machine): any one machine's entries can then stand for all of them.
 */
export function isIdenticalSnapshot(snapshot: Snapshot): boolean {
  if (snapshot.machines.some((m) => m.status === 'offline') || (snapshot.unreadable?.size ?? 0) > 0) return false;
  const maps = [...snapshot.entries.values()];
  if (maps.length === 0) return false;
  const [first, ...others] = maps;
  if (others.some((m) => m.size !== first.size)) return false;
  if (others.every((m) => m === first)) return true;
  for (const [path, a] of first) {
    for (const other of others) {
      const b = other.get(path);
      if (b === a) continue;
      if (b === undefined || a.type !== b.type) return false;
      if (a.type !== 'dir' && (a.mtime !== b.mtime || a.size !== b.size || a.mode !== b.mode || a.target !== b.target)) return false;
    }
  }
  return true;
}

/** The paths an identical snapshot (isIdenticalSnapshot) holds: what buildPlan counts in sync there. */
export function countIdenticalPaths(snapshot: Snapshot): number {
  for (const entries of snapshot.entries.values()) return entries.size;
  return 0;
}
