// The per-path rule: given what the online machines hold now and held at the base, decide the path.
import type { Conflict, ConflictVersion, Entry, PlanOptions } from '../types.js';
import { groupVersions, pairPerms, pairWindow, sameMtime, sameVersion, type Grouping, type VersionGroup, type VersionRules } from './versions.js';

/** What the online machines (config order, self among them) hold at one path, now and at the base. */
export interface PathView {
  readonly path: string;
  readonly machines: readonly string[];
  /** current[i] = machines[i]'s entry now (undefined = absent). */
  readonly current: readonly (Entry | undefined)[];
  /** base[i] = machines[i]'s entry at the last sync (undefined = none). */
  readonly base: readonly (Entry | undefined)[];
  /** covered[i]: machines[i] took part in the last sync of this path, so no base entry means it held nothing. */
  readonly covered: readonly boolean[];
  /** future[i]: machines[i]'s entry is dated more than a minute ahead of its clock. */
  readonly future: readonly boolean[];
  /** How the machines' versions compare (windows, modes). */
  readonly rules: VersionRules;
}

/** The outcome for one path; machine numbers index `PathView.machines`. */
export type PathDecision =
  | { readonly kind: 'same'; readonly present: boolean }
  | { readonly kind: 'win'; readonly winner: VersionGroup }
  | { readonly kind: 'conflict'; readonly conflict: Conflict }
  /** --keep-both: `winner` takes the path; each of `kept` (every other present version) is kept aside by its first holder. */
  | { readonly kind: 'keep-both'; readonly winner: VersionGroup; readonly kept: readonly VersionGroup[]; readonly conflict: Conflict }
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
const UNBASED = 4; // no base and nothing known (not covered), present now
const CREATED = 5; // covered, no base (it held nothing at the last sync), present now

/** True when machines i and j hold the same version now. */
function alikeNow(view: PathView, i: number, j: number): boolean {
  return sameVersion(view.current[i], view.current[j], pairWindow(view.rules, i, j), pairPerms(view.rules, i, j));
}

/** Decides one path over the online machines: in sync, a winning version, a conflict or a deletion. */
export function decidePath(view: PathView, options: PlanOptions): PathDecision {
  const r = view.rules;
  const cur = view.current;
  const n = cur.length;
  let alike = true;
  for (let i = 1; i < n && alike; i++) alike = alikeNow(view, 0, i);
  if (alike) return { kind: 'same', present: n > 0 && cur[0] !== undefined };

  const grouping = groupVersions(cur, r);
  if (grouping.groups.length === 1) return { kind: 'same', present: cur[0] !== undefined };
  let baseKnown = false;
  for (let i = 0; i < n && !baseKnown; i++) baseKnown = view.base[i] !== undefined || (view.covered[i] && cur[i] !== undefined);
  if (!baseKnown) return decideNewest(view, grouping, null, options);

  const status: number[] = new Array(n);
  const changedGroups: number[] = [];
  const changers: number[] = [];
  const deleted: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = view.base[i];
    const c = cur[i];
    if (b === undefined) status[i] = c === undefined ? UNCHANGED_ABSENT : view.covered[i] ? CREATED : UNBASED;
    else if (sameVersion(b, c, r.windows[i], r.perms[i], true)) status[i] = UNCHANGED;
    else if (c === undefined) {
      status[i] = DELETED;
      deleted.push(i);
      continue;
    } else status[i] = CHANGED;
    if (status[i] === CHANGED || status[i] === CREATED) {
      changers.push(i);
      const g = grouping.groupOf[i];
      if (!changedGroups.includes(g)) changedGroups.push(g);
    }
  }
  const names = (idx: readonly number[]): string => listNames(idx.map((i) => view.machines[i]));
  const changes = (): string => describeChanges(view, status, changers);

  if (changedGroups.length >= 2) {
    const also = deleted.length > 0 ? `, deleted on ${names(deleted)}` : '';
    return resolve(view, grouping, status, `${changes()}${also}`, options);
  }
  if (changedGroups.length === 1) {
    const vg = changedGroups[0];
    const v = grouping.groups[vg];
    if (deleted.length > 0) {
      return resolve(view, grouping, status, `${changes()}, deleted on ${names(deleted)}`, options);
    }
    for (let i = 0; i < n; i++) {
      const c = cur[i];
      if (c === undefined || grouping.groupOf[i] === vg) continue;
      if ((status[i] === UNCHANGED || status[i] === UNBASED) && isNewer(c.mtime, v.newest, pairWindow(r, i, v.members[0]))) {
        return resolve(view, grouping, status, `${changes()}, but ${view.machines[i]} holds a newer version`, options);
      }
    }
    for (let i = 0; i < n; i++) {
      const c = cur[i];
      if (c === undefined || status[i] !== UNCHANGED || grouping.groupOf[i] === vg) continue;
      for (const k of changers) {
        // A creation (no base entry) is made from nothing: any other version is one its machine never had.
        const from = view.base[k];
        if (from === undefined) {
          return resolve(view, grouping, status, `created on ${view.machines[k]} while ${view.machines[i]} held another version`, options);
        }
        if (isNewer(c.mtime, from.mtime, pairWindow(r, i, k))) {
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
    if (options.restoreDeletions) return decideNewest(view, grouping, status, options);
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

/** True when mtime `a` is later than `b` and not alike with it (sameMtime, `window`). */
function isNewer(a: number, b: number, window: number): boolean {
  return a > b && !sameMtime(a, b, window);
}

/** "changed on a and b", "created on c", "changed on a, created on c". */
function describeChanges(view: PathView, status: readonly number[], changers: readonly number[]): string {
  const changed = changers.filter((i) => status[i] === CHANGED).map((i) => view.machines[i]);
  const created = changers.filter((i) => status[i] === CREATED).map((i) => view.machines[i]);
  const parts: string[] = [];
  if (changed.length > 0) parts.push(`changed on ${listNames(changed)}`);
  if (created.length > 0) parts.push(`created on ${listNames(created)}`);
  return parts.join(', ');
}

/** The first machine (in order) holding version `g` whose entry is dated in the future, or -1. */
function futureHolder(view: PathView, g: VersionGroup): number {
  for (const i of g.members) if (view.future[i]) return i;
  return -1;
}

/** Rule "newest wins": the present version with the largest mtime, unless the runner-up is within the window or dirs meet non-dirs. */
function decideNewest(view: PathView, grouping: Grouping, status: number[] | null, options: PlanOptions): PathDecision {
  let hasDir = false;
  let hasOther = false;
  for (const g of grouping.groups) {
    if (g.entry === null) continue;
    if (g.entry.type === 'dir') hasDir = true;
    else hasOther = true;
  }
  if (hasDir && hasOther) return resolve(view, grouping, status, 'different types', options);
  const [top, second] = newestTwo(grouping.groups);
  if (second !== undefined && sameMtime(top.newest, second.newest, pairWindow(view.rules, top.members[0], second.members[0]))) {
    return resolve(view, grouping, status, tieReason(top.entry as Entry, second.entry as Entry), options);
  }
  const ahead = futureHolder(view, top);
  if (ahead !== -1) return resolve(view, grouping, status, `newest on ${view.machines[ahead]}, but dated in the future there`, options);
  return { kind: 'win', winner: top };
}

/** Applies `options.prefer` to a conflict: the preferred version wins, or the conflict stands. */
function resolve(view: PathView, grouping: Grouping, status: number[] | null, reason: string, options: PlanOptions): PathDecision {
  const prefer = options.prefer;
  if (options.keepBoth) {
    const kept = keepBoth(view, grouping, status);
    if (typeof kept !== 'string') return { kind: 'keep-both', ...kept, conflict: buildConflict(view, grouping, status, reason) };
    reason = `${reason}; --keep-both: ${kept}`;
  } else if (prefer.kind === 'newest') {
    const [top, second] = newestTwo(grouping.groups);
    if (top !== undefined && (second === undefined || !sameMtime(top.newest, second.newest, pairWindow(view.rules, top.members[0], second.members[0])))) {
      const ahead = futureHolder(view, top);
      if (ahead === -1) return { kind: 'win', winner: top };
      if (!reason.includes('dated in the future')) reason = `${reason}; the newest version, on ${view.machines[ahead]}, is dated in the future: --prefer newest does not pick it`;
    }
  } else if (prefer.kind === 'machine') {
    const i = view.machines.indexOf(prefer.machine);
    if (i !== -1 && view.current[i] !== undefined) return { kind: 'win', winner: grouping.groups[grouping.groupOf[i]] };
    // It deleted the path since the last sync: the deletion wins, every other copy goes to trash.
    if (i !== -1 && status !== null && status[i] === DELETED) return preferDeletion(view, status);
  }
  return { kind: 'conflict', conflict: buildConflict(view, grouping, status, reason) };
}

/**
 * --keep-both's answer: the newest present version wins (on equal mtimes, the first in machine
 * order); every other version some machine changed or created since the last sync (without a
 * base: every other present version) is kept; a copy no machine changed is an older one, replaced
 * as usual. Or why it cannot: a version that is not a file, or a newest version dated in the future.
 */
function keepBoth(view: PathView, grouping: Grouping, status: readonly number[] | null): { winner: VersionGroup; kept: VersionGroup[] } | string {
  const present = grouping.groups.filter((g) => g.entry !== null);
  if (present.some((g) => g.entry!.type !== 'file')) return 'it keeps files only, and a version here is a folder or a symlink';
  const [top] = newestTwo(grouping.groups);
  const ahead = futureHolder(view, top);
  if (ahead !== -1) return `the newest version, on ${view.machines[ahead]}, is dated in the future`;
  const own = (g: VersionGroup) => status === null || g.members.some((i) => status[i] === CHANGED || status[i] === CREATED || status[i] === UNBASED);
  return { winner: top, kept: present.filter((g) => g !== top && own(g)) };
}

/** A conflict resolved for the machine that deleted the path: a propagated deletion from every machine that deleted it to every holder. */
function preferDeletion(view: PathView, status: readonly number[]): PathDecision {
  const deletedOn: number[] = [];
  const holders: number[] = [];
  for (let i = 0; i < view.current.length; i++) {
    if (view.current[i] !== undefined) holders.push(i);
    else if (status[i] === DELETED) deletedOn.push(i);
  }
  return { kind: 'deletion', deletedOn, holders, propagate: true };
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
      if (s === CHANGED || s === DELETED || s === CREATED) {
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
