// The entries and base of the paths that may differ, from each machine's listing diff against the
// listing every machine held alike (the copy of a seen token's listing, state/seenListing.ts):
// every other path is held alike by every machine, and is what the base holds for each of them.
import type { Entry, PartialSnapshotInfo } from '../types.js';
import type { ListingDiff } from './listingDiff.js';

/** What a partial snapshot and its base are made of. */
export interface PartialParts {
  /** Machine → entries at the paths that differ somewhere (absent = it holds nothing there). */
  readonly entries: ReadonlyMap<string, ReadonlyMap<string, Entry>>;
  /** Machine → the base at those paths: the reference listing's entries, for every machine alike. */
  readonly base: ReadonlyMap<string, ReadonlyMap<string, Entry>>;
  readonly info: PartialSnapshotInfo;
  /** Paths that differ somewhere (the keys of every map above, together). */
  readonly paths: number;
}

/**
 * The partial parts for machines `names` with their diffs (same order) against a reference listing of
 * `records` paths, `files` of them not folders; null when some listing holds a special file where
 * the reference does not (such a scan is read whole, to warn about it).
 */
export function buildPartialParts(names: readonly string[], diffs: readonly ListingDiff[], reference: { readonly records: number; readonly files: number }): PartialParts | null {
  // What the reference holds at the paths that differ somewhere (undefined: nothing).
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
    let held = reference.files;
    for (const [path, old] of was) {
      const entry = d.now.has(path) ? d.now.get(path) : d.was.has(path) ? undefined : old;
      if (entry !== undefined) mine.set(path, entry);
      if (old !== undefined && old.type !== 'dir') held--;
      if (entry !== undefined && entry.type !== 'dir') held++;
    }
    entries.set(name, mine);
    files.set(name, held);
  });
  const held0 = new Map<string, Entry>();
  let changedHeld = 0;
  for (const [path, old] of was) {
    if (old === undefined) continue;
    held0.set(path, old);
    changedHeld++;
  }
  const base = new Map<string, ReadonlyMap<string, Entry>>();
  if (held0.size > 0) for (const name of names) base.set(name, held0);
  return { entries, base, info: { alike: reference.records - changedHeld, files }, paths: was.size };
}
