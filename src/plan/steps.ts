// Steps, deferred entries and deletion records for one decided path.
import type { Deferred, Deletion, Entry, Replaces, Step } from '../types.js';
import type { PathView } from './decidePath.js';
import { pairPerms, pairWindow, sameVersion, type VersionGroup, type VersionRules } from './versions.js';

/** An offline machine as the step builder needs it: its reason and its base map. */
export interface OfflineMachine {
  readonly name: string;
  readonly reason: string;
  readonly base: ReadonlyMap<string, Entry>;
  /** Position in the snapshot's machine list (config order). */
  readonly order: number;
}

/** The steps one winning version makes: at most one pull, then pushes; plus what offline machines are owed. */
export interface WinSteps {
  readonly pull: Step | null;
  /** In machine order. */
  readonly pushes: readonly Step[];
  /** deferred[k] belongs to offline[k], or is undefined when nothing is owed to it. */
  readonly deferred: readonly (Deferred | undefined)[];
}

/**
 * Computes the steps that bring every machine to `winner`: a pull to self (index `self` in the view)
 * from the first holder in machine order when self lacks it, a push from self to every other online
 * machine lacking it, and a deferred entry for each offline machine whose base does not show it already holds it.
 * A controller (`self` -1: no machine is self) gets a copy from the first holder to each online machine lacking it instead.
 */
export function buildWinSteps(
  view: PathView,
  winner: VersionGroup,
  self: number,
  offline: readonly OfflineMachine[],
  /** Online machines (view order), then the offline ones (their order). */
  rules: VersionRules,
): WinSteps {
  const path = view.path;
  const holds = new Array<boolean>(view.machines.length).fill(false);
  for (const i of winner.members) holds[i] = true;
  let pull: Step | null = null;
  let source: Entry;
  if (self === -1) return buildCopySteps(view, winner.members[0], holds, offline, rules);
  if (holds[self]) source = view.current[self] as Entry;
  else {
    const from = winner.members[0];
    source = view.current[from] as Entry;
    pull = Object.freeze({
      action: 'pull' as const,
      path,
      from: view.machines[from],
      to: view.machines[self],
      source,
      target: view.current[self] ?? null,
      ...buildReplaces(view, self, rules),
    });
  }
  const pushes: Step[] = [];
  for (let i = 0; i < view.machines.length; i++) {
    if (i === self || holds[i]) continue;
    pushes.push(
      Object.freeze({
        action: 'push' as const,
        path,
        from: view.machines[self],
        to: view.machines[i],
        source,
        target: view.current[i] ?? null,
        ...buildReplaces(view, i, rules),
      }),
    );
  }
  const n = view.machines.length;
  const deferred = offline.map((m, k): Deferred | undefined =>
    sameVersion(m.base.get(path), source, pairWindow(rules, self, n + k), pairPerms(rules, self, n + k))
      ? undefined
      : Object.freeze({ path, machine: m.name, reason: m.reason, source }),
  );
  return { pull, pushes, deferred };
}

/** A controller's WinSteps: a copy from online machine `from` to each online machine not in `holds`; deferred as buildWinSteps. */
function buildCopySteps(view: PathView, from: number, holds: readonly boolean[], offline: readonly OfflineMachine[], rules: VersionRules): WinSteps {
  const source = view.current[from] as Entry;
  const copies: Step[] = [];
  for (let i = 0; i < view.machines.length; i++) {
    if (holds[i]) continue;
    copies.push(
      Object.freeze({ action: 'copy' as const, path: view.path, from: view.machines[from], to: view.machines[i], source, target: view.current[i] ?? null, ...buildReplaces(view, i, rules) }),
    );
  }
  const n = view.machines.length;
  const deferred = offline.map((m, k): Deferred | undefined =>
    sameVersion(m.base.get(view.path), source, pairWindow(rules, from, n + k), pairPerms(rules, from, n + k)) ? undefined : Object.freeze({ path: view.path, machine: m.name, reason: m.reason, source }),
  );
  return { pull: null, pushes: copies, deferred };
}

/** The steps that keep one losing version of a conflict beside its path (--keep-both), and what offline machines are owed. */
export interface AsideSteps {
  readonly aside: Step;
  readonly pull: Step | null;
  readonly pushes: readonly Step[];
  /** deferred[k] belongs to offline[k]: each is owed the copy. */
  readonly deferred: readonly Deferred[];
}

/**
 * The copy of machine `holder`'s version to `as` on that machine (copy-aside), then the new file
 * `as` spread from there as any new file: a pull to self (unless self is the holder) and a push
 * from self to every other online machine (a controller, `self` -1: a copy from the holder to
 * each); every offline machine is owed it.
 */
export function buildAsideSteps(view: PathView, holder: number, as: string, self: number, offline: readonly OfflineMachine[]): AsideSteps {
  const source = view.current[holder] as Entry;
  const name = view.machines[holder];
  const aside: Step = Object.freeze({ action: 'copy-aside' as const, path: view.path, from: name, to: name, source, target: null, as });
  const pull: Step | null =
    holder === self || self === -1 ? null : Object.freeze({ action: 'pull' as const, path: as, from: name, to: view.machines[self], source, target: null });
  const pushes: Step[] = [];
  for (let i = 0; i < view.machines.length; i++) {
    if (i === self || i === holder) continue;
    if (self === -1) pushes.push(Object.freeze({ action: 'copy' as const, path: as, from: name, to: view.machines[i], source, target: null }));
    else pushes.push(Object.freeze({ action: 'push' as const, path: as, from: view.machines[self], to: view.machines[i], source, target: null }));
  }
  const deferred = offline.map((m): Deferred => Object.freeze({ path: as, machine: m.name, reason: m.reason, source }));
  return { aside, pull, pushes, deferred };
}

/** One `trash` step per online holder, each from the first machine (in machine order) where the path was deleted. */
export function buildTrashSteps(view: PathView, deletedOn: readonly number[], holders: readonly number[], rules: VersionRules): Step[] {
  const from = view.machines[deletedOn[0]];
  return holders.map((i) =>
    Object.freeze({ action: 'trash' as const, path: view.path, from, to: view.machines[i], source: null, target: view.current[i] ?? null, ...buildReplaces(view, i, rules) }),
  );
}

/**
 * What a step replaces on machine `i` (see Step.replaces): nothing when it holds nothing or a
 * folder there, `changed` when its entry differs from its base entry, else `older`.
 */
function buildReplaces(view: PathView, i: number, rules: VersionRules): { replaces?: Replaces } {
  const now = view.current[i];
  if (now === undefined || now.type === 'dir') return {};
  const base = view.base[i];
  // A machine against its own base: one filesystem, compared as decidePath does.
  return { replaces: base !== undefined && !sameVersion(base, now, rules.windows[i], rules.perms[i], true) ? 'changed' : 'older' };
}

/**
 * The deletion record of a path: where it was deleted, and who still holds it — online holders and
 * offline machines whose base has it — in config order (`onlineOrder[i]` is online machine i's position).
 */
export function buildDeletion(
  view: PathView,
  deletedOn: readonly number[],
  holders: readonly number[],
  onlineOrder: readonly number[],
  offline: readonly OfflineMachine[],
  propagated: boolean,
): Deletion {
  const held: { order: number; name: string }[] = holders.map((i) => ({ order: onlineOrder[i], name: view.machines[i] }));
  for (const m of offline) if (m.base.has(view.path)) held.push({ order: m.order, name: m.name });
  held.sort((x, y) => x.order - y.order);
  return Object.freeze({
    path: view.path,
    deletedOn: Object.freeze(deletedOn.map((i) => view.machines[i])),
    heldOn: Object.freeze(held.map((h) => h.name)),
    propagated,
  });
}
