import { buildUnderTest } from '../config/paths.js';
import type { BaseOrigin } from '../state/base.js';
import type { SyncedListingKey, SyncedListingRecord } from '../state/syncedListing.js';
import type { Base, Entry, Plan, Snapshot } from '../types.js';
import type { StepOutcome } from './applySteps.js';

/**
 * True when an apply left every scanned machine holding what self held when it was scanned:
 * every step done, nothing deferred, in conflict, held or left undecided (a warning), every scanned machine online, and no
 * step that changed self (so self's listing from the scan is its listing now).
 */
export function isSettledBySelf(plan: Plan, outcomes: readonly StepOutcome[]): boolean {
  return (
    outcomes.every((o) => o.status === 'done') &&
    plan.deferred.length === 0 &&
    plan.conflicts.length === 0 &&
    plan.deletions.every((d) => d.propagated) &&
    plan.warnings.length === 0 &&
    plan.machines.every((m) => m.status !== 'offline') &&
    plan.steps.every((s) => s.to !== plan.self)
  );
}

/** Base and listing entries agree: the same file or symlink, or both folders. */
function isSameSyncedEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.type === 'dir' || b.type === 'dir') return a.type === b.type;
  return a.type === b.type && a.mtime === b.mtime && a.size === b.size && a.mode === b.mode && a.target === b.target;
}

/**
 * True when `base` holds, for every machine of `names` and under `scopes`, exactly self's entries
 * of `snapshot` (folders: by type), and names no other machine. For a partial snapshot only its
 * paths are looked at: elsewhere the base was already self's synced listing, and stays so.
 */
export function isBaseOfSelf(base: Base, names: readonly string[], snapshot: Snapshot, scopes: readonly string[]): boolean {
  for (const name of base.keys()) if (!names.includes(name)) return false;
  const mine = snapshot.entries.get(snapshot.self);
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

/**
 * The synced-listing record for self's listing (`listing`, of sha256 `digest`, as scanned) after an
 * apply of `plan` from `snapshot` that wrote `base` (from `origin`); null unless the apply left
 * every scanned machine holding what self held and the base says so.
 */
export function buildSyncedRecord(
  key: SyncedListingKey,
  listing: { readonly bytes: number; readonly digest: string },
  snapshot: Snapshot,
  base: Base,
  origin: BaseOrigin,
  plan: Plan,
  outcomes: readonly StepOutcome[],
): SyncedListingRecord | null {
  if (!isSettledBySelf(plan, outcomes) || !isBaseOfSelf(base, key.machines, snapshot, snapshot.paths) || !isCoveredFor(base, key.machines, snapshot.paths)) return null;
  const mine = snapshot.entries.get(snapshot.self) ?? new Map<string, Entry>();
  let files = snapshot.partial?.files.get(snapshot.self);
  if (files === undefined) {
    files = 0;
    for (const e of mine.values()) if (e.type !== 'dir') files++;
  }
  return {
    format: 1,
    ...key,
    base: origin,
    listingBytes: listing.bytes,
    listingDigest: listing.digest,
    // Left-out paths are held alike everywhere, self included.
    records: (snapshot.partial?.alike ?? 0) + mine.size,
    files,
  };
}
