// One machine's entries as two layers: the entries every machine holds alike (one map, shared
// by them all) and the machine's own. After a sync nearly every path is held alike, so reading
// the base (state/base.ts) builds one map of 100,000s of paths instead of one per machine, and
// the planner walks a shared layer once.
import type { Entry } from './types.js';

/**
 * A read-only map of path → entry made of `shared` and `own`, which never hold the same path
 * (the builder keeps them apart). Iterates the shared entries, then its own.
 */
export class LayeredEntries implements ReadonlyMap<string, Entry> {
  constructor(
    /** Entries every machine of the base holds. */
    readonly shared: ReadonlyMap<string, Entry>,
    /** This machine's other entries. */
    readonly own: ReadonlyMap<string, Entry>,
  ) {}

  get size(): number {
    return this.shared.size + this.own.size;
  }

  get(path: string): Entry | undefined {
    return this.shared.get(path) ?? this.own.get(path);
  }

  has(path: string): boolean {
    return this.shared.has(path) || this.own.has(path);
  }

  forEach(visit: (entry: Entry, path: string, map: ReadonlyMap<string, Entry>) => void, thisArg?: unknown): void {
    this.shared.forEach((e, p) => visit.call(thisArg, e, p, this));
    this.own.forEach((e, p) => visit.call(thisArg, e, p, this));
  }

  *entries(): MapIterator<[string, Entry]> {
    yield* this.shared.entries();
    yield* this.own.entries();
  }

  *keys(): MapIterator<string> {
    yield* this.shared.keys();
    yield* this.own.keys();
  }

  *values(): MapIterator<Entry> {
    yield* this.shared.values();
    yield* this.own.values();
  }

  [Symbol.iterator](): MapIterator<[string, Entry]> {
    return this.entries();
  }
}

/** The maps `entries` is made of: its layers when layered, else itself. */
export function readEntryParts(entries: ReadonlyMap<string, Entry>): readonly ReadonlyMap<string, Entry>[] {
  return entries instanceof LayeredEntries ? [entries.shared, entries.own] : [entries];
}
