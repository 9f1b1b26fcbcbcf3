// Version identity of entries and grouping of one path's entries into versions.
import type { Entry, PlanOptions } from '../types.js';

/**
 * Mtimes closer than this are one reading of one time: a nanosecond time reaches blat as a double
 * (about 0.24 µs apart at today's dates), printed by GNU find or by perl, whose last digits differ.
 */
export const SAME_TIME = 1e-6;

/**
 * True when two mtimes (seconds) are one version's: equal (to SAME_TIME), at most `window` seconds
 * apart, or — unless `sameMachine` (then both were read on one filesystem, at one precision) — in
 * the same whole second when one of them has no fraction (a filesystem that keeps whole seconds only).
 */
export function sameMtime(a: number, b: number, window: number, sameMachine = false): boolean {
  if (a === b) return true;
  const d = a > b ? a - b : b - a;
  if (d <= window || d <= SAME_TIME) return true;
  return !sameMachine && d < 1 && Math.floor(a) === Math.floor(b) && (a % 1 === 0 || b % 1 === 0);
}

/**
 * True when two entries (undefined = absent) are the same version: both absent, or same type and —
 * files: same size, same mode (unless `perms` is false) and mtimes alike (sameMtime, `window`
 * seconds); symlinks: same target; dirs: always.
 */
export function sameVersion(a: Entry | undefined, b: Entry | undefined, window: number, perms = true, sameMachine = false): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.type !== b.type) return false;
  if (a.type === 'file') return a.size === b.size && (!perms || a.mode === b.mode) && sameMtime(a.mtime, b.mtime, window, sameMachine);
  if (a.type === 'symlink') return a.target === b.target;
  return true;
}

/**
 * How the versions of some machines (indexes of a list of machines) compare: each machine's
 * modify window and whether its modes count. Two machines compare with the larger of their
 * windows, and modes only when both keep them.
 */
export interface VersionRules {
  /** windows[i]: machine i's modify window, seconds. */
  readonly windows: readonly number[];
  /** perms[i]: false when machine i says `perms: ignore`. */
  readonly perms: readonly boolean[];
}

/** The rules of machines `names` under `options` (machines not named there: the default window, modes kept). */
export function buildVersionRules(names: readonly string[], options: Pick<PlanOptions, 'modifyWindow' | 'windows' | 'ignorePerms'>): VersionRules {
  const windows = names.map((n) => options.windows?.[n] ?? options.modifyWindow);
  const perms = names.map((n) => !(options.ignorePerms?.includes(n) ?? false));
  return { windows, perms };
}

/** The window two machines compare with: the larger of theirs. */
export function pairWindow(rules: VersionRules, i: number, j: number): number {
  const a = rules.windows[i];
  const b = rules.windows[j];
  return a > b ? a : b;
}

/** True when machines i and j both keep modes. */
export function pairPerms(rules: VersionRules, i: number, j: number): boolean {
  return rules.perms[i] && rules.perms[j];
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
  /** The member whose entry is `entry` while grouping; the member of `newest`. */
  head: number;
  last: number;
}

function sameKind(a: Entry, b: Entry, perms: boolean): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'file') return a.size === b.size && (!perms || a.mode === b.mode);
  if (a.type === 'symlink') return a.target === b.target;
  return true;
}

/**
 * Groups one path's entries (one per machine, undefined = absent) into versions. Files of one size
 * (and mode, where both machines keep modes) are chained by mtime: sorted by mtime, an entry joins
 * a group whose newest mtime is alike (sameMtime, the pair's window), so the result does not
 * depend on machine order. The absent machines form one more group.
 */
export function groupVersions(entries: readonly (Entry | undefined)[], rules: VersionRules): Grouping {
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
    // Latest group first: the closest in mtime (mixed windows may reach more than one).
    for (let k = found.length - 1; k >= 0; k--) {
      const g = found[k];
      if (sameKind(g.entry as Entry, e, pairPerms(rules, g.head, i)) && (e.type !== 'file' || sameMtime(e.mtime, g.newest, pairWindow(rules, g.last, i)))) {
        group = g;
        break;
      }
    }
    if (group === undefined) found.push({ entry: e, members: [i], newest: e.mtime, head: i, last: i });
    else {
      group.members.push(i);
      group.newest = e.mtime;
      group.last = i;
    }
  }
  for (const g of found) {
    if (g.members.length > 1) {
      g.members.sort((x, y) => x - y);
      g.entry = entries[g.members[0]] as Entry;
    }
  }
  if (absent.length > 0) found.push({ entry: null, members: absent, newest: -Infinity, head: -1, last: -1 });
  if (found.length > 1) found.sort((x, y) => x.members[0] - y.members[0]);
  const groupOf: number[] = new Array(n);
  for (let g = 0; g < found.length; g++) for (const i of found[g].members) groupOf[i] = g;
  return { groups: found, groupOf };
}
