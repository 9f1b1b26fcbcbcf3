// One machine's base entries as two layers: the entries every machine of the base holds alike
// (one map, shared by them all) and the machine's own. After a sync nearly every path is held
// alike, so reading the base builds one map of 100,000s of paths instead of one per machine.
import type { Entry } from '../types.js';

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

/**
 * Gathers a base's entries machine by machine, keeping the entries every machine of `names`
 * holds alike in one shared map: the result gives each of them a LayeredEntries over it.
 * A later row for a path replaces an earlier one, as with plain maps.
 */
export class LayeredBaseBuilder {
  private readonly shared = new Map<string, Entry>();
  private readonly own = new Map<string, Map<string, Entry>>();
  private readonly sharing: ReadonlySet<string>;

  /** `names`: the machines that share (base.json's). */
  constructor(private readonly names: readonly string[]) {
    for (const name of names) this.own.set(name, new Map());
    this.sharing = new Set(names);
  }

  /** Machine `name` holds `entry` at `path`. */
  set(name: string, path: string, entry: Entry): void {
    const moved = this.sharing.has(name) ? this.shared.get(path) : undefined;
    if (moved !== undefined) {
      // No longer held alike: every sharing machine keeps the shared entry as its own.
      this.shared.delete(path);
      for (const n of this.names) this.ownOf(n).set(path, moved);
    }
    this.ownOf(name).set(path, entry);
  }

  /** Every sharing machine holds `entry` at `path`. */
  setShared(path: string, entry: Entry): void {
    for (const n of this.names) {
      const own = this.ownOf(n);
      if (own.size > 0) own.delete(path);
    }
    this.shared.set(path, entry);
  }

  /** No machine holds `path` any more. */
  delete(path: string): void {
    this.shared.delete(path);
    for (const own of this.own.values()) own.delete(path);
  }

  /** Whether `names` include every machine that shares. */
  coversShared(names: readonly string[]): boolean {
    return this.names.every((n) => names.includes(n));
  }

  /** Whether machine `name` is one that shares. */
  isSharing(name: string): boolean {
    return this.sharing.has(name);
  }

  /** The entries, by machine; machines holding nothing are left out. */
  build(): Map<string, ReadonlyMap<string, Entry>> {
    const out = new Map<string, ReadonlyMap<string, Entry>>();
    for (const [name, own] of this.own) {
      const entries = this.shared.size > 0 && this.sharing.has(name) ? (own.size > 0 ? new LayeredEntries(this.shared, own) : this.shared) : own;
      if (entries.size > 0) out.set(name, entries);
    }
    return out;
  }

  private ownOf(name: string): Map<string, Entry> {
    let own = this.own.get(name);
    if (own === undefined) this.own.set(name, (own = new Map()));
    return own;
  }
}
