// Version identity of entries and grouping of one path's entries into versions.
import type { Entry } from '../types.js';

/**
 * True when two entries (undefined = absent) are the same version: both absent, or same type and —
 * files: same size and mtimes at most `window` seconds apart; symlinks: same target; dirs: always.
 */
export function sameVersion(a: Entry | undefined, b: Entry | undefined, window: number): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.type !== b.type) return false;
  if (a.type === 'file') return a.size === b.size && Math.abs(a.mtime - b.mtime) <= window;
  if (a.type === 'symlink') return a.target === b.target;
  return true;
}

/** One version of a path and the machines (indexes into the caller's machine list) holding it. */
export interface VersionGroup {
  /** The entry of the first member in machine order; null for the "absent" version. */
  readonly entry: Entry | null;
  /** Member indexes, ascending. */
  readonly members: readonly number[];
  /** Largest mtime among the members (-Infinity for the absent version). */
  readonly newest: number;
}

/** The grouping of one path: versions ordered by their first member, and each machine's version index. */
export interface Grouping {
  readonly groups: readonly VersionGroup[];
  /** groupOf[i] = index in `groups` of machine i's version. */
  readonly groupOf: readonly number[];
}

interface MutableGroup {
  entry: Entry | null;
  members: number[];
  newest: number;
}

function sameKind(a: Entry, b: Entry): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'file') return a.size === b.size;
  if (a.type === 'symlink') return a.target === b.target;
  return true;
}

/**
 * Groups one path's entries (one per machine, undefined = absent) into versions. Files of one size
 * are chained by mtime: sorted by mtime, an entry joins a group whose newest mtime is within `window`,
 * so the result does not depend on machine order. The absent machines form one more group.
 */
export function groupVersions(entries: readonly (Entry | undefined)[], window: number): Grouping {
  const n = entries.length;
  // Present indexes sorted by mtime (insertion sort: a handful of machines).
  const order: number[] = [];
  const absent: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    if (e === undefined) {
      absent.push(i);
      continue;
    }
    let j = order.length;
    order.push(i);
    while (j > 0 && (entries[order[j - 1]] as Entry).mtime > e.mtime) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  const found: MutableGroup[] = [];
  for (const i of order) {
    const e = entries[i] as Entry;
    let group: MutableGroup | undefined;
    for (const g of found) {
      if (sameKind(g.entry as Entry, e) && (e.type !== 'file' || e.mtime - g.newest <= window)) {
        group = g;
        break;
      }
    }
    if (group === undefined) found.push({ entry: e, members: [i], newest: e.mtime });
    else {
      group.members.push(i);
      group.newest = e.mtime;
    }
  }
  for (const g of found) {
    if (g.members.length > 1) {
      g.members.sort((x, y) => x - y);
      g.entry = entries[g.members[0]] as Entry;
    }
  }
  if (absent.length > 0) found.push({ entry: null, members: absent, newest: -Infinity });
  if (found.length > 1) found.sort((x, y) => x.members[0] - y.members[0]);
  const groupOf: number[] = new Array(n);
  for (let g = 0; g < found.length; g++) for (const i of found[g].members) groupOf[i] = g;
  return { groups: found, groupOf };
}
