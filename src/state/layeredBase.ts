// Building a base whose machines share the entries they hold alike (see ../layeredEntries.ts).
import { LayeredEntries } from '../layeredEntries.js';
import type { Entry } from '../types.js';

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
