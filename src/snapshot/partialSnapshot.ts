// The entries and base of the paths that may differ, from each machine's listing diff against the
// synced listing (state/syncedListing.ts): every other path is held alike by every machine, and
// is what the base holds for each of them.
import type { Entry, PartialSnapshotInfo } from '../types.js';
import type { ListingDiff } from './listingDiff.js';

/** What a partial snapshot and its base are made of. */
export interface PartialParts {
  /** Machine → entries at the paths that differ somewhere (absent = it holds nothing there). */
  readonly entries: ReadonlyMap<string, ReadonlyMap<string, Entry>>;
  /** Machine → the base at those paths: the synced listing's entries, for every machine alike. */
  readonly base: ReadonlyMap<string, ReadonlyMap<string, Entry>>;
  readonly info: PartialSnapshotInfo;
  /** Paths that differ somewhere (the keys of every map above, together). */
  readonly paths: number;
}

/**
 * The partial parts for machines `names` with their diffs (same order) against a synced listing of
 * `records` paths, `files` of them not folders; null when some listing holds a special file where
 * the synced one does not (such a scan is read whole, to warn about it).
 */
export function buildPartialParts(names: readonly string[], diffs: readonly ListingDiff[], synced: { readonly records: number; readonly files: number }): PartialParts | null {
  // What the synced listing holds at the paths that differ somewhere (undefined: nothing).
  const was = new Map<string, Entry | undefined>();
  for (const d of diffs) {
    for (const [path, entry] of d.now) {
      if (entry === undefined) return null;
      if (!was.has(path)) was.set(path, undefined);
    }
    for (const [path, entry] of d.was) was.set(path, entry);
  }
  const entries = new Map<string, ReadonlyMap<string, Entry>>();
  const files = new Map<string, number>();
  names.forEach((name, k) => {
    const d = diffs[k];
    const mine = new Map<string, Entry>();
    let held = synced.files;
    for (const [path, old] of was) {
      const entry = d.now.has(path) ? d.now.get(path) : d.was.has(path) ? undefined : old;
      if (entry !== undefined) mine.set(path, entry);
      if (old !== undefined && old.type !== 'dir') held--;
      if (entry !== undefined && entry.type !== 'dir') held++;
    }
    entries.set(name, mine);
    files.set(name, held);
  });
  const synced0 = new Map<string, Entry>();
  let changedSynced = 0;
  for (const [path, old] of was) {
    if (old === undefined) continue;
    synced0.set(path, old);
    changedSynced++;
  }
  const base = new Map<string, ReadonlyMap<string, Entry>>();
  if (synced0.size > 0) for (const name of names) base.set(name, synced0);
  return { entries, base, info: { alike: synced.records - changedSynced, files }, paths: was.size };
}
