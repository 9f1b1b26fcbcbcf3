// The per-path rule: given what the online machines hold now and held at the base, decide the path.
import type { Conflict, ConflictVersion, Entry, PlanOptions } from '../types.js';
import { groupVersions, sameVersion, type Grouping, type VersionGroup } from './versions.js';

/** What the online machines (config order, self among them) hold at one path, now and at the base. */
export interface PathView {
  readonly path: string;
  readonly machines: readonly string[];
  /** current[i] = machines[i]'s entry now (undefined = absent). */
  readonly current: readonly (Entry | undefined)[];
  /** base[i] = machines[i]'s entry at the last sync (undefined = none). */
  readonly base: readonly (Entry | undefined)[];
}

/** The outcome for one path; machine numbers index `PathView.machines`. */
export type PathDecision =
  | { readonly kind: 'same'; readonly present: boolean }
  | { readonly kind: 'win'; readonly winner: VersionGroup }
  | { readonly kind: 'conflict'; readonly conflict: Conflict }
  | {
      readonly kind: 'deletion';
      readonly deletedOn: readonly number[];
      /** Online machines still holding the path. */
      readonly holders: readonly number[];
      readonly propagate: boolean;
    };

// How a machine's current entry relates to its base entry.
const UNCHANGED = 0; // base defined, same version now
const UNCHANGED_ABSENT = 1; // no base, absent now
const CHANGED = 2; // base defined, a different present version now
const DELETED = 3; // base defined, absent now
const UNBASED = 4; // no base, present now

/** Decides one path over the online machines: in sync, a winning version, a conflict or a deletion. */
export function decidePath(view: PathView, options: PlanOptions): PathDecision {
  const w = options.modifyWindow;
  const cur = view.current;
  const n = cur.length;
  let alike = true;
  for (let i = 1; i < n && alike; i++) alike = sameVersion(cur[0], cur[i], w);
  if (alike) return { kind: 'same', present: n > 0 && cur[0] !== undefined };

  const grouping = groupVersions(cur, w);
  if (grouping.groups.length === 1) return { kind: 'same', present: cur[0] !== undefined };
  let baseKnown = false;
  for (let i = 0; i < n && !baseKnown; i++) baseKnown = view.base[i] !== undefined;
  if (!baseKnown) return decideNewest(view, grouping, null, options);

  const status: number[] = new Array(n);
  const changedGroups: number[] = [];
  const changers: number[] = [];
  const deleted: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = view.base[i];
    const c = cur[i];
    if (b === undefined) status[i] = c === undefined ? UNCHANGED_ABSENT : UNBASED;
    else if (sameVersion(b, c, w)) status[i] = UNCHANGED;
    else if (c === undefined) {
      status[i] = DELETED;
      deleted.push(i);
    } else {
      status[i] = CHANGED;
      changers.push(i);
      const g = grouping.groupOf[i];
      if (!changedGroups.includes(g)) changedGroups.push(g);
    }
  }
  const names = (idx: readonly number[]): string => listNames(idx.map((i) => view.machines[i]));

  if (changedGroups.length >= 2) {
    const also = deleted.length > 0 ? `, deleted on ${names(deleted)}` : '';
    return resolve(view, grouping, status, `changed on ${names(changers)}${also}`, options);
  }
  if (changedGroups.length === 1) {
    const vg = changedGroups[0];
    const v = grouping.groups[vg];
    if (deleted.length > 0) {
      return resolve(view, grouping, status, `changed on ${names(changers)}, deleted on ${names(deleted)}`, options);
    }
    for (let i = 0; i < n; i++) {
      const c = cur[i];
      if (c === undefined || grouping.groupOf[i] === vg) continue;
      if ((status[i] === UNCHANGED || status[i] === UNBASED) && c.mtime > v.newest + w) {
        return resolve(view, grouping, status, `changed on ${names(changers)}, but ${view.machines[i]} holds a newer version`, options);
      }
    }
    for (let i = 0; i < n; i++) {
      const c = cur[i];
      if (c === undefined || status[i] !== UNCHANGED || grouping.groupOf[i] === vg) continue;
      for (const k of changers) {
        if (c.mtime > (view.base[k] as Entry).mtime + w) {
          return resolve(
            view,
            grouping,
            status,
            `changed on ${view.machines[k]} from an older copy than ${view.machines[i]}'s`,
            options,
          );
        }
      }
    }
    return { kind: 'win', winner: v };
  }
  if (deleted.length > 0) {
    const holders: number[] = [];
    let allUnchanged = true;
    for (let i = 0; i < n; i++) {
      if (cur[i] === undefined) continue;
      holders.push(i);
      if (status[i] !== UNCHANGED) allUnchanged = false;
    }
    return { kind: 'deletion', deletedOn: deleted, holders, propagate: options.propagateDeletes && allUnchanged };
  }
  return decideNewest(view, grouping, status, options);
}

/** Rule "newest wins": the present version with the largest mtime, unless the runner-up is within the window or dirs meet non-dirs. */
function decideNewest(view: PathView, grouping: Grouping, status: number[] | null, options: PlanOptions): PathDecision {
  const w = options.modifyWindow;
  let hasDir = false;
  let hasOther = false;
  for (const g of grouping.groups) {
    if (g.entry === null) continue;
    if (g.entry.type === 'dir') hasDir = true;
    else hasOther = true;
  }
  if (hasDir && hasOther) return resolve(view, grouping, status, 'different types', options);
  const [top, second] = newestTwo(grouping.groups);
  if (second !== undefined && top.newest - second.newest <= w) {
    return resolve(view, grouping, status, tieReason(top.entry as Entry, second.entry as Entry), options);
  }
  return { kind: 'win', winner: top };
}

/** Applies `options.prefer` to a conflict: the preferred version wins, or the conflict stands. */
function resolve(view: PathView, grouping: Grouping, status: number[] | null, reason: string, options: PlanOptions): PathDecision {
  const prefer = options.prefer;
  if (prefer.kind === 'newest') {
    const [top, second] = newestTwo(grouping.groups);
    if (top !== undefined && (second === undefined || top.newest - second.newest > options.modifyWindow)) {
      return { kind: 'win', winner: top };
    }
  } else if (prefer.kind === 'machine') {
    const i = view.machines.indexOf(prefer.machine);
    if (i !== -1 && view.current[i] !== undefined) return { kind: 'win', winner: grouping.groups[grouping.groupOf[i]] };
  }
  return { kind: 'conflict', conflict: buildConflict(view, grouping, status, reason) };
}

/** The newest and second-newest present versions (first in machine order on equal mtimes). */
function newestTwo(groups: readonly VersionGroup[]): [VersionGroup, VersionGroup | undefined] {
  let top: VersionGroup | undefined;
  let second: VersionGroup | undefined;
  for (const g of groups) {
    if (g.entry === null) continue;
    if (top === undefined || g.newest > top.newest) {
      second = top;
      top = g;
    } else if (second === undefined || g.newest > second.newest) second = g;
  }
  return [top as VersionGroup, second];
}

function tieReason(a: Entry, b: Entry): string {
  if (a.type !== b.type) return 'different types';
  if (a.type === 'symlink') return 'equal mtime, different target';
  return 'equal mtime, different size';
}

/** Every version of the path, split by whether its holders changed it since the base, in machine order. */
function buildConflict(view: PathView, grouping: Grouping, status: number[] | null, reason: string): Conflict {
  const parts: { first: number; version: ConflictVersion }[] = [];
  for (const g of grouping.groups) {
    const changed: string[] = [];
    const kept: string[] = [];
    let firstChanged = -1;
    let firstKept = -1;
    for (const i of g.members) {
      const s = status === null ? UNBASED : status[i];
      if (s === CHANGED || s === DELETED) {
        if (firstChanged === -1) firstChanged = i;
        changed.push(view.machines[i]);
      } else {
        if (firstKept === -1) firstKept = i;
        kept.push(view.machines[i]);
      }
    }
    if (changed.length > 0) parts.push({ first: firstChanged, version: conflictVersion(view, firstChanged, changed, true) });
    if (kept.length > 0) parts.push({ first: firstKept, version: conflictVersion(view, firstKept, kept, false) });
  }
  parts.sort((x, y) => x.first - y.first);
  return Object.freeze({ path: view.path, reason, versions: Object.freeze(parts.map((p) => p.version)) });
}

/** One listed version, shown with the entry of its first machine. */
function conflictVersion(view: PathView, first: number, machines: string[], changed: boolean): ConflictVersion {
  return Object.freeze({ machines: Object.freeze(machines), entry: view.current[first] ?? null, changed });
}

/** "a", "a and b", "a, b and c". */
function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
