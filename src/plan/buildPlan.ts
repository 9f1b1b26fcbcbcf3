// Assembles a Plan from a snapshot, the base and the options: decides every path, then orders the results.
import { CONTROLLER } from '../config/self.js';
import { BlatError } from '../errors.js';
import type { Base, Conflict, Deferred, Deletion, Entry, Plan, PlanOptions, PlanWarning, Snapshot, Step } from '../types.js';
import { decidePath, type PathView } from './decidePath.js';
import { buildAsideSteps, buildDeletion, buildTrashSteps, buildWinSteps, type OfflineMachine } from './steps.js';
import { buildConflictName } from './conflictName.js';
import { buildMoves, type MoveFrom, type MoveTo } from './moves.js';
import { buildUnderTest, byPath } from '../config/paths.js';
import { readEntryParts } from '../layeredEntries.js';
import { buildVersionRules, pairPerms, pairWindow, sameVersion, type VersionGroup, type VersionRules } from './versions.js';
import { adoptOtherForms, findCollisions, type Collisions } from './nameFolding.js';
import { findRefusedName } from './refusedNames.js';

/** An mtime more than this ahead of its machine's clock is dated in the future. */
export const FUTURE_SLACK_MS = 60_000;

/** Everything the planner needs; it reads nothing else. */
export interface PlanInput {
  readonly configDigest: string;
  /** Entries per online machine; `machines` lists every configured machine with its status. */
  readonly snapshot: Snapshot;
  /** machine → path → entry at the last sync; an empty map when there is no base yet. */
  readonly base: Base;
  readonly options: PlanOptions;
  readonly nowMs: number;
  /**
   * Whether a machine's own excludes (machines.NAME.exclude) cover a path: that machine then takes
   * no part in it (neither source, target nor deletion; nothing owed to it). Absent: none has any.
   */
  readonly excludedOn?: MachineExcludes;
}

/** (machine, root-relative path, is a folder) → excluded on that machine alone. */
export type MachineExcludes = (machine: string, path: string, isDir: boolean) => boolean;

const NO_ENTRIES: ReadonlyMap<string, Entry> = new Map();

/**
 * The plan for a snapshot: every entry path of the online machines (plus base paths under the scanned
 * paths) decided once, pulls first, then pushes and trash steps, deferred entries for offline machines,
 * conflicts and deletions — all sorted and frozen. Linear in the number of entries; only the plan's own items are sorted.
 */
export function buildPlan(input: PlanInput): Plan {
  const { snapshot, base, options } = input;
  const online: string[] = [];
  const onlineOrder: number[] = [];
  const offline: OfflineMachine[] = [];
  snapshot.machines.forEach((m, order) => {
    if (m.status === 'online') {
      online.push(m.name);
      onlineOrder.push(order);
    } else if (m.status === 'offline') {
      offline.push({ name: m.name, reason: m.reason ?? 'offline', base: base.get(m.name) ?? NO_ENTRIES, order });
    }
  });
  // A controller (self: none) is no machine: index -1, and every transfer is a copy between two machines.
  const controller = snapshot.self === CONTROLLER;
  const self = controller ? -1 : online.indexOf(snapshot.self);
  if (self === -1 && !controller) throw new BlatError(`cannot plan: self machine "${snapshot.self}" is not online in the snapshot`);

  // Offline machines last: their windows and modes matter only against self's version (owed entries).
  const rules = buildVersionRules([...online, ...offline.map((m) => m.name)], options);
  const asides: Step[] = [];
  const pulls: Step[] = [];
  const later: Step[] = [];
  /** Conflict-copy names given in this plan (--keep-both). */
  const named = new Set<string>();
  const owed: Deferred[][] = offline.map(() => []);
  const conflicts: Conflict[] = [];
  const deletions: Deletion[] = [];
  let inSync = 0;
  // Moves (see buildMoves): clean deletions and creations, and the other paths that differ.
  const froms: MoveFrom[] = [];
  const tos: MoveTo[] = [];
  const blockers: string[] = [];

  const warnings: PlanWarning[] = buildUnreadableWarnings(snapshot);
  const unknown = buildUnknownTest(warnings);
  const decide = (whole: PathView): void => {
    // Under a folder some machine could not read: unknown there, so left undecided everywhere.
    const around = unknown?.(whole.path);
    if (around === 'under') return;
    const part = input.excludedOn === undefined ? null : restrictView(whole, input.excludedOn, self, onlineOrder, maps);
    if (part === 'self') {
      blockers.push(whole.path);
      if (controller) return; // excluded on every machine: nothing to say
      // Excluded on self: blat syncs only through self, so it is left alone everywhere; said when the others differ.
      const others = buildExcludedOnSelfConflict(whole, input.excludedOn!, snapshot.self);
      if (others !== null) conflicts.push(others);
      return;
    }
    const { view, self: me, order, entries } = part ?? { view: whole, self, order: onlineOrder, entries: maps };
    const owes = (machine: string) => input.excludedOn === undefined || !input.excludedOn(machine, whole.path, isFolder(whole));
    const decision = decidePath(view, options);
    const unwritable = decision.kind === 'win' ? findUnwritableTarget(view, decision.winner, options) : undefined;
    if (unwritable !== undefined) {
      // A symlink or a name some target's filesystem cannot hold: listed, written nowhere (rsync
      // would fail on it at every apply); under a folder of such a name, left alone with it.
      blockers.push(view.path);
      if (unwritable !== 'under') conflicts.push(buildHeldConflict(view, unwritable));
      return;
    }
    if (decision.kind !== 'same') {
      const candidate = part === null && around === undefined ? findMoveEnd(view, decision, offline) : null;
      if (candidate === null) blockers.push(view.path);
      else if (candidate.kind === 'from') froms.push(candidate.end);
      else tos.push(candidate.end);
    }
    // Above one: no deletion, and no winner other than a folder (either would take the unknown part along).
    if (around === 'above' && (decision.kind === 'deletion' || (decision.kind === 'win' && decision.winner.entry?.type !== 'dir'))) return;
    switch (decision.kind) {
      case 'same': {
        if (!decision.present) break;
        inSync++;
        // Alike on every online machine; an offline machine not known (by its base) to hold it is still owed it.
        const ref = me === -1 ? 0 : me; // a controller: any online machine (they agree)
        const source = view.current[ref] as Entry;
        offline.forEach((m, k) => {
          const o = view.machines.length + k;
          if (!sameVersion(m.base.get(view.path), source, pairWindow(view.rules, ref, o), pairPerms(view.rules, ref, o)) && owes(m.name)) {
            owed[k].push(Object.freeze({ path: view.path, machine: m.name, reason: m.reason, source }));
          }
        });
        break;
      }
      case 'conflict':
        conflicts.push(decision.conflict);
        break;
      case 'deletion':
        if (decision.propagate) for (const s of buildTrashSteps(view, decision.deletedOn, decision.holders, view.rules)) later.push(s);
        deletions.push(buildDeletion(view, decision.deletedOn, decision.holders, order, offline.filter((m) => owes(m.name)), decision.propagate));
        break;
      case 'keep-both': {
        const blocked = findBlockedTarget(view, decision.winner.members, maps);
        if (blocked !== undefined) {
          conflicts.push(buildBlockedConflict(view, decision.winner, blocked));
          break;
        }
        // A free name for each kept version: taken on no machine (scanned, or in its base) nor by this plan.
        const taken = (name: string) => named.has(name) || maps.some((m) => m.has(name)) || [...base.values()].some((b) => b.has(name));
        const names = decision.kept.map((g) => {
          const holder = g.members[0];
          for (let n = 1; n <= 9; n++) {
            const name = buildConflictName(view.path, view.machines[holder], (g.entry as Entry).mtime, n);
            if (!taken(name)) return name;
          }
          return undefined;
        });
        const full = names.findIndex((n) => n === undefined);
        if (full !== -1) {
          const c = decision.conflict;
          const first = buildConflictName(view.path, view.machines[decision.kept[full].members[0]], (decision.kept[full].entry as Entry).mtime);
          conflicts.push(Object.freeze({ ...c, reason: `${c.reason}; --keep-both: ${first} and its numbered variants are taken` }));
          break;
        }
        decision.kept.forEach((g, k) => {
          const as = names[k] as string;
          named.add(as);
          const made = buildAsideSteps(view, g.members[0], as, self, offline);
          asides.push(made.aside);
          if (made.pull !== null) pulls.push(made.pull);
          for (const s of made.pushes) later.push(s);
          made.deferred.forEach((d, j) => owed[j].push(d));
        });
        const made = buildWinSteps(view, decision.winner, self, offline, rules);
        if (made.pull !== null) pulls.push(made.pull);
        for (const s of made.pushes) later.push(s);
        made.deferred.forEach((d, k) => {
          if (d !== undefined) owed[k].push(d);
        });
        break;
      }
      case 'win': {
        const blocked = findBlockedTarget(view, decision.winner.members, entries);
        if (blocked !== undefined) {
          conflicts.push(buildBlockedConflict(view, decision.winner, blocked));
          break;
        }
        const made = buildWinSteps(view, decision.winner, me, offline, view.rules);
        if (made.pull !== null) pulls.push(made.pull);
        for (const s of made.pushes) later.push(s);
        made.deferred.forEach((d, k) => {
          if (d !== undefined && owes(d.machine)) owed[k].push(d);
        });
        break;
      }
    }
  };
  const scanned = online.map((m) => snapshot.entries.get(m) ?? NO_ENTRIES);
  // Where a machine folds names (plan/nameFolding.ts): its Unicode twins taken under the others' form, colliding names found.
  const folded = options.folding !== undefined && online.some((m) => options.folding![m] !== undefined) ? adoptOtherForms(online, scanned, base, options.folding) : null;
  const maps = folded?.maps ?? scanned;
  const collide = folded === null ? undefined : buildCollisionTest(findCollisions(online, maps, options.folding!));
  // A machine's clock, in seconds: past it by more than a minute, an mtime is dated in the future.
  const futureAfter = online.map((_, i) => (input.nowMs + (snapshot.machines[onlineOrder[i]].clockOffsetMs ?? 0) + FUTURE_SLACK_MS) / 1000);
  const look = { rules, covered: buildCoverageTests(online, base, snapshot.paths), futureAfter };
  forEachPath(online, maps, folded?.base ?? base, snapshot.paths, look, (view) => {
    for (let k = 0; k < view.machines.length; k++) {
      const e = view.current[k];
      if (view.future[k] && e !== undefined) warnings.push(Object.freeze({ kind: 'future' as const, path: view.path, machine: view.machines[k], mtime: e.mtime }));
    }
    const collision = collide?.(view.path);
    if (collision !== undefined) {
      // Names one on a machine that folds them: listed, never written over each other; what is under them left alone.
      if (collision !== 'under') conflicts.push(buildCollisionConflict(view, collision.machine, collision.names));
      return;
    }
    decide(view);
  });

  // Paths moved on one machine: moved alike on the others, neither deleted nor transferred.
  for (const w of warnings) if (w.kind === 'unreadable') blockers.push(w.path);
  // Sorted only when some folder may have moved (a first sync has every path a blocker, and no move).
  if (tos.length > 0 && froms.some((d) => d.entry.type === 'dir')) blockers.sort();
  const moved = buildMoves(froms, tos, {
    same: (mover, a, b) => {
      const k = online.indexOf(mover);
      return sameVersion(a, b, pairWindow(rules, k, k), pairPerms(rules, k, k));
    },
    holds: (machine, path) => maps[online.indexOf(machine)]?.get(path),
    known: buildUnderTest(snapshot.paths),
    blockers,
  });
  if (moved.steps.length > 0) {
    const gone = (s: { readonly path: string }) => moved.movedFrom.has(s.path) || moved.movedTo.has(s.path);
    const keep = <T extends { readonly path: string }>(list: T[]): T[] => list.filter((s) => !gone(s));
    pulls.splice(0, pulls.length, ...keep(pulls));
    later.splice(0, later.length, ...keep(later));
    deletions.splice(0, deletions.length, ...keep(deletions));
  }
  if (conflicts.length > 0 && tos.length > 0) namePlannedMoves(conflicts, tos, moved.movedTo, base);

  // Only what the plan holds is sorted, not every path: a plan of a large tree in sync sorts nothing.
  asides.sort(byPath); // stable: a path's copies stay in the order of their versions
  pulls.sort(byPath);
  later.sort(byPath); // stable: a path's steps stay in machine order
  for (const list of owed) list.sort(byPath);
  conflicts.sort(byPath);
  deletions.sort(byPath);
  warnings.sort(byPath);

  const steps = asides;
  for (const s of moved.steps) steps.push(s);
  for (const s of pulls) steps.push(s);
  for (const s of later) steps.push(s);
  const deferred: Deferred[] = [];
  for (const list of owed) for (const d of list) deferred.push(d);

  return freezePlan({
    self: snapshot.self,
    configDigest: input.configDigest,
    snapshotDigest: snapshot.digest,
    createdAtMs: input.nowMs,
    targets: options.targets,
    machines: snapshot.machines,
    steps,
    deferred,
    conflicts,
    deletions,
    inSync: inSync + (snapshot.partial?.alike ?? 0),
    warnings,
  });
}

/**
 * The conflict of a path excluded on self that the other online machines (those whose own excludes
 * leave it in) hold in different versions; null when they agree.
 */
function buildExcludedOnSelfConflict(view: PathView, excludedOn: MachineExcludes, self: string): Conflict | null {
  const dir = isFolder(view);
  const groups: { first: number; machines: string[]; entry: Entry | null }[] = [];
  for (let k = 0; k < view.machines.length; k++) {
    if (excludedOn(view.machines[k], view.path, dir)) continue;
    const entry = view.current[k] ?? null;
    const group = groups.find((g) => sameVersion(g.entry ?? undefined, entry ?? undefined, pairWindow(view.rules, g.first, k), pairPerms(view.rules, g.first, k)));
    if (group) group.machines.push(view.machines[k]);
    else groups.push({ first: k, machines: [view.machines[k]], entry });
  }
  if (groups.length < 2) return null;
  return Object.freeze({
    path: view.path,
    reason: `excluded on ${self} (self), through which blat syncs: the others differ`,
    versions: Object.freeze(groups.map((g) => Object.freeze({ machines: Object.freeze(g.machines), entry: g.entry, changed: false }))),
  });
}

/**
 * One end of a possible move (see buildMoves), or null: a clean deletion (some machines deleted
 * the path, every other online machine still holds its base version, no offline machine's base
 * has it), or a clean creation (some machines hold it alike, every online machine was synced there
 * holding nothing, no offline machine's base has it). A move done on some machines only (the
 * others' failed) is such a pair again at the next plan.
 */
function findMoveEnd(
  view: PathView,
  decision: ReturnType<typeof decidePath>,
  offline: readonly OfflineMachine[],
): { readonly kind: 'from'; readonly end: MoveFrom } | { readonly kind: 'to'; readonly end: MoveTo } | null {
  if (offline.some((m) => m.base.has(view.path))) return null;
  const n = view.machines.length;
  if (decision.kind === 'deletion') {
    if (decision.holders.length === 0 || decision.deletedOn.length + decision.holders.length !== n) return null;
    const d = decision.deletedOn[0];
    const holders = new Map<string, Entry>();
    for (const h of decision.holders) {
      const now = view.current[h] as Entry;
      if (!sameVersion(view.base[h], now, view.rules.windows[h], view.rules.perms[h], true)) return null;
      holders.set(view.machines[h], now);
    }
    return { kind: 'from', end: { path: view.path, movers: decision.deletedOn.map((k) => view.machines[k]), entry: view.base[d] as Entry, holders } };
  }
  if (decision.kind === 'win') {
    const members = decision.winner.members;
    for (let k = 0; k < n; k++) {
      if (view.base[k] !== undefined || !view.covered[k] || (!members.includes(k) && view.current[k] !== undefined)) return null;
    }
    return { kind: 'to', end: { path: view.path, movers: members.map((k) => view.machines[k]), entry: view.current[members[0]] as Entry } };
  }
  return null;
}

/**
 * Says so in the reason of a conflict that is a move the planner could not make: a file or symlink
 * deleted on some machines that hold, at a new path only they have, the version their base had
 * there, while another machine changed it (e.g. "changed on m2, deleted on here (moved to
 * docs/b.txt on here; not moved where it changed)"). Replaces those conflicts in `conflicts`.
 */
function namePlannedMoves(conflicts: Conflict[], tos: readonly MoveTo[], movedTo: ReadonlySet<string>, base: Base): void {
  const key = (movers: readonly string[], e: Entry) => `${movers.join('\0')}\0${e.type}\0${e.size}\0${e.mtime}\0${e.target ?? ''}`;
  const created = new Map<string, MoveTo[]>();
  for (const t of tos) {
    if (t.entry.type === 'dir' || movedTo.has(t.path)) continue;
    const k = key(t.movers, t.entry);
    const list = created.get(k);
    if (list) list.push(t);
    else created.set(k, [t]);
  }
  if (created.size === 0) return;
  conflicts.forEach((c, i) => {
    const movers = c.versions.filter((v) => v.entry === null).flatMap((v) => v.machines);
    const had = movers.length === 0 ? undefined : base.get(movers[0])?.get(c.path);
    if (had === undefined || had.type === 'dir') return;
    const found = created.get(key(movers, had)) ?? [];
    const to = found.length === 1 ? found[0] : found.find((t) => t.path.slice(t.path.lastIndexOf('/')) === c.path.slice(c.path.lastIndexOf('/')));
    if (to === undefined) return;
    conflicts[i] = Object.freeze({ ...c, reason: `${c.reason} (moved to ${to.path} on ${movers.join(', ')}; not moved where it changed)` });
  });
}

/** Whether any machine holds (or held) the path as a folder. */
function isFolder(view: PathView): boolean {
  for (let k = 0; k < view.machines.length; k++) if ((view.current[k] ?? view.base[k])?.type === 'dir') return true;
  return false;
}

/** The view of a path over the online machines whose own excludes leave it in, with their indexes. */
interface RestrictedView {
  readonly view: PathView;
  readonly self: number;
  readonly order: readonly number[];
  readonly entries: readonly ReadonlyMap<string, Entry>[];
}

/**
 * `view` without the online machines whose own excludes cover its path: null when none does (the
 * view stands), 'self' when self's do (blat syncs only through self), or, for a controller (`self` -1), every machine's do.
 */
function restrictView(
  view: PathView,
  excludedOn: MachineExcludes,
  self: number,
  order: readonly number[],
  maps: readonly ReadonlyMap<string, Entry>[],
): RestrictedView | null | 'self' {
  const dir = isFolder(view);
  const keep: number[] = [];
  for (let k = 0; k < view.machines.length; k++) if (!excludedOn(view.machines[k], view.path, dir)) keep.push(k);
  if (keep.length === view.machines.length) return null;
  if (self === -1 ? keep.length === 0 : !keep.includes(self)) return 'self';
  // The rules' online machines go with them; the offline ones (after them) stay as they are.
  const offline = (list: readonly boolean[] | readonly number[]) => list.slice(view.machines.length);
  const rules = {
    windows: [...keep.map((k) => view.rules.windows[k]), ...offline(view.rules.windows)] as number[],
    perms: [...keep.map((k) => view.rules.perms[k]), ...offline(view.rules.perms)] as boolean[],
  };
  return {
    view: {
      path: view.path,
      machines: keep.map((k) => view.machines[k]),
      current: keep.map((k) => view.current[k]),
      base: keep.map((k) => view.base[k]),
      covered: keep.map((k) => view.covered[k]),
      future: keep.map((k) => view.future[k]),
      rules,
    },
    self: keep.indexOf(self),
    order: keep.map((k) => order[k]),
    entries: keep.map((k) => maps[k]),
  };
}

/** One warning per folder an online machine could not read, sorted by path, then machine order. */
function buildUnreadableWarnings(snapshot: Snapshot): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  for (const m of snapshot.machines) {
    if (m.status !== 'online') continue;
    for (const u of snapshot.unreadable?.get(m.name) ?? []) warnings.push(Object.freeze({ kind: 'unreadable' as const, machine: m.name, path: u.path, reason: u.reason }));
  }
  return warnings.sort(byPath); // stable: machine order kept for one path
}

/**
 * Where a path lies against the unreadable folders: 'under' one (or one itself), 'above' one (an
 * ancestor folder), or undefined; no test at all (undefined) when there are none.
 */
function buildUnknownTest(warnings: readonly PlanWarning[]): ((path: string) => 'under' | 'above' | undefined) | undefined {
  const folders = warnings.filter((w) => w.kind === 'unreadable').map((w) => w.path);
  if (folders.length === 0) return undefined;
  const under = buildUnderTest(folders);
  const above = new Set<string>();
  for (const f of folders) for (let i = f.indexOf('/'); i !== -1; i = f.indexOf('/', i + 1)) above.add(f.slice(0, i));
  return (path) => (under(path) ? 'under' : above.has(path) ? 'above' : undefined);
}

/**
 * The test of a path against colliding names: the collision when it is one of them, 'under' when
 * it lies under a colliding folder, undefined otherwise (no test when nothing collides).
 */
function buildCollisionTest(collisions: Collisions): ((path: string) => { machine: string; names: readonly string[] } | 'under' | undefined) | undefined {
  if (collisions.size === 0) return undefined;
  const under = buildUnderTest([...collisions.keys()]);
  return (path) => collisions.get(path) ?? (under(path) ? 'under' : undefined);
}

/** The conflict of a path whose name collides with others on a machine that folds names. */
function buildCollisionConflict(view: PathView, machine: string, names: readonly string[]): Conflict {
  return buildHeldConflict(view, `names collide on ${machine}, which folds them: ${names.join(', ')}`);
}

/**
 * Why a machine of `view` that would be sent `winner` cannot hold it (a symlink where its
 * filesystem holds none, a name it refuses), in words; 'under' when a folder above the path has a
 * name it refuses; undefined when every target can hold it.
 */
function findUnwritableTarget(view: PathView, winner: VersionGroup, options: PlanOptions): string | 'under' | undefined {
  if (winner.entry === null || (options.noSymlinks === undefined && options.refusedNames === undefined)) return undefined;
  for (let k = 0; k < view.machines.length; k++) {
    if (winner.members.includes(k)) continue;
    const m = view.machines[k];
    const rules = options.refusedNames?.[m];
    const refused = rules === undefined ? undefined : findRefusedName(view.path, rules);
    if (refused === 'under') return 'under';
    if (refused !== undefined) return `the name cannot be written on ${m}: its filesystem refuses ${refused.what}`;
    if (winner.entry.type === 'symlink' && options.noSymlinks?.includes(m)) return `symlinks cannot be written on ${m} (its filesystem holds none)`;
  }
  return undefined;
}

/** A conflict of `reason` listing the versions the online machines hold at the path, none changed. */
function buildHeldConflict(view: PathView, reason: string): Conflict {
  const groups: { first: number; machines: string[]; entry: Entry | null }[] = [];
  for (let k = 0; k < view.machines.length; k++) {
    const entry = view.current[k] ?? null;
    const group = groups.find((g) => sameVersion(g.entry ?? undefined, entry ?? undefined, pairWindow(view.rules, g.first, k), pairPerms(view.rules, g.first, k)));
    if (group) group.machines.push(view.machines[k]);
    else groups.push({ first: k, machines: [view.machines[k]], entry });
  }
  return Object.freeze({
    path: view.path,
    reason,
    versions: Object.freeze(groups.map((g) => Object.freeze({ machines: Object.freeze(g.machines), entry: g.entry, changed: false }))),
  });
}

/** The frozen Plan of these parts (its lists copied where the caller may keep them). */
export function freezePlan(parts: Omit<Plan, 'formatVersion'>): Plan {
  return Object.freeze({
    formatVersion: 1 as const,
    ...parts,
    targets: Object.freeze([...parts.targets]),
    machines: Object.freeze([...parts.machines]),
    steps: Object.freeze(parts.steps),
    deferred: Object.freeze(parts.deferred),
    conflicts: Object.freeze(parts.conflicts),
    deletions: Object.freeze(parts.deletions),
    warnings: Object.freeze(parts.warnings),
  });
}

/** A machine that would receive a path but holds a symlink or file where one of its folders should be. */
interface BlockedTarget {
  readonly machine: number;
  readonly ancestor: string;
  readonly type: Entry['type'];
}

/**
 * The first machine (lacking the path) on which an ancestor folder of the path is a symlink or a
 * file. rsync would replace that ancestor (older versions) or refuse to write through it (newer
 * ones); blat does neither: the path is reported instead of transferred.
 */
function findBlockedTarget(view: PathView, holders: readonly number[], maps: readonly ReadonlyMap<string, Entry>[]): BlockedTarget | undefined {
  for (let k = 0; k < view.machines.length; k++) {
    if (view.current[k] !== undefined || holders.includes(k)) continue;
    for (let i = view.path.lastIndexOf('/'); i > 0; i = view.path.lastIndexOf('/', i - 1)) {
      const ancestor = view.path.slice(0, i);
      const entry = maps[k].get(ancestor);
      if (entry === undefined) continue;
      if (entry.type !== 'dir') return { machine: k, ancestor, type: entry.type };
      break; // a real folder: the scan went through it, so every folder above is real too
    }
  }
  return undefined;
}

/** The conflict reported for a path that cannot be written on a machine (see findBlockedTarget). */
function buildBlockedConflict(view: PathView, winner: { readonly entry: Entry | null; readonly members: readonly number[] }, blocked: BlockedTarget): Conflict {
  const name = view.machines[blocked.machine];
  return Object.freeze({
    path: view.path,
    reason: `${blocked.ancestor} is a ${blocked.type} on ${name}, not a folder: blat does not write through or replace it`,
    versions: Object.freeze([
      Object.freeze({ machines: Object.freeze(winner.members.map((i) => view.machines[i])), entry: winner.entry, changed: false }),
      Object.freeze({ machines: Object.freeze([name]), entry: null, changed: false }),
    ]),
  });
}

/** What forEachPath's views carry besides the entries: version rules, coverage and clocks of the online machines. */
interface PathLook {
  readonly rules: VersionRules;
  /** Per online machine: covered everywhere (true), nowhere (false), or a test of the path. */
  readonly covered: readonly (boolean | ((path: string) => boolean))[];
  /** Per online machine: mtimes (seconds) past this are dated in the future. */
  readonly futureAfter: readonly number[];
}

/**
 * Per machine, where the base's coverage (Base.covered) makes a missing base entry mean "held
 * nothing": true when its sync paths include every scanned path, false when none, else a test.
 */
function buildCoverageTests(online: readonly string[], base: Base, scanned: readonly string[]): (boolean | ((path: string) => boolean))[] {
  return online.map((name) => {
    const paths = base.covered?.get(name);
    if (paths === undefined || paths.length === 0) return false;
    const under = buildUnderTest(paths);
    if (scanned.every(under)) return true;
    return under;
  });
}


/**
 * Calls `visit` once for every entry path an online machine holds, and for every path of an online
 * machine's base that lies under the scanned paths (absent everywhere now, such a path is decided
 * "nothing to do" or a deletion; a path only an offline machine's base knows cannot change the
 * outcome and is skipped). One view object is reused: `visit` must not keep it. A path is visited
 * from the first machine (in order) holding it; the others are asked with one lookup each, so the
 * cost is a few map operations per (machine, path) and no global table or sort of all paths.
 */
function forEachPath(
  online: readonly string[],
  maps: readonly ReadonlyMap<string, Entry>[],
  base: Base,
  scanned: readonly string[],
  look: PathLook,
  visit: (view: PathView) => void,
): void {
  const n = online.length;
  const bases = online.map((m) => base.get(m) ?? NO_ENTRIES);
  const { rules, covered, futureAfter } = look;
  const view = {
    path: '',
    machines: online,
    current: new Array<Entry | undefined>(n),
    base: new Array<Entry | undefined>(n),
    covered: new Array<boolean>(n).fill(false),
    future: new Array<boolean>(n).fill(false),
    rules,
  };
  // Machine 0's window and modes against each other machine's: the "alike" test below.
  const windows = online.map((_, k) => pairWindow(rules, 0, k));
  const perms = online.map((_, k) => pairPerms(rules, 0, k));
  // visited[k]: how many of machine k's paths have been visited so far. Once all have, its own
  // loop below has nothing left to visit and is skipped (the common case: machines hold the same paths).
  const visited = new Array<number>(n).fill(0);
  const fill = (path: string) => {
    view.path = path;
    let alike = true;
    for (let k = 0; k < n; k++) {
      const entry = maps[k].get(path);
      view.current[k] = entry;
      if (entry !== undefined) visited[k]++;
      if (alike && k > 0) alike = sameVersion(view.current[0], entry, windows[k], perms[k]);
    }
    // The base matters only where machines differ (decidePath answers "same" first): skip the lookups otherwise.
    if (alike) {
      for (let k = 0; k < n; k++) {
        view.base[k] = undefined;
        view.future[k] = false;
      }
    } else {
      for (let k = 0; k < n; k++) {
        view.base[k] = bases[k].get(path);
        const c = covered[k];
        view.covered[k] = c === true || (c !== false && c(path));
        const e = view.current[k];
        view.future[k] = e !== undefined && e.type !== 'dir' && e.mtime > futureAfter[k];
      }
    }
    visit(view);
  };
  for (let i = 0; i < n; i++) {
    if (visited[i] === maps[i].size) continue;
    maps[i].forEach((_entry, path) => {
      for (let j = 0; j < i; j++) if (maps[j].has(path)) return; // visited from machine j
      fill(path);
    });
  }
  const under = buildUnderTest(scanned);
  // A layer several bases share (the entries machines held alike after the last sync) is walked once.
  const walked = new Set<ReadonlyMap<string, Entry>>();
  for (let i = 0; i < n; i++) {
    for (const part of readEntryParts(bases[i])) {
      if (walked.has(part)) continue;
      walked.add(part);
      part.forEach((_entry, path) => {
        for (let k = 0; k < n; k++) if (maps[k].has(path)) return; // visited above
        for (let j = 0; j < i; j++) if (bases[j].has(path)) return; // visited from base j
        if (under(path)) fill(path);
      });
    }
  }
}
