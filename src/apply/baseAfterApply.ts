import { buildUnderTest } from '../config/paths.js';
import { buildBaseAfterSync, withCoverage } from '../state/base.js';
import type { Base, Entry, Plan, Snapshot } from '../types.js';
import type { StepOutcome } from './applySteps.js';

/**
 * The base after an apply. With the snapshot the plan was built from: every online machine's
 * scanned entries, updated by the steps that were done, become its base under the scanned
 * paths — except the paths left unsettled (conflicts, held deletions, steps not done, anything
 * under a folder some machine could not read), whose
 * base stays as it was so the next plan still sees them. Without a snapshot (a saved plan):
 * only the entries the done steps touched are updated.
 */
export function buildBaseAfterApply(previous: Base, plan: Plan, outcomes: readonly StepOutcome[], snapshot: Snapshot | null): Base {
  const done = outcomes.filter((o) => o.status === 'done');
  if (snapshot === null) return buildBaseWithUpdates(previous, updatesOf(done));

  const unsettled = new Set<string>();
  for (const c of plan.conflicts) unsettled.add(c.path);
  for (const d of plan.deletions) if (!d.propagated) unsettled.add(d.path);
  for (const o of outcomes) if (o.status !== 'done') unsettled.add(o.step.path);
  // A move not done leaves its old and new paths (and what lies under them) as they were: the next plan moves again.
  const unmoved = buildUnderTest(outcomes.flatMap((o) => (o.status !== 'done' && o.step.was !== undefined ? [o.step.was, o.step.path] : [])));

  const current = new Map<string, ReadonlyMap<string, Entry>>(snapshot.entries);
  const copies = new Map<string, Map<string, Entry>>();
  for (const u of updatesOf(done)) {
    let map = copies.get(u.machine);
    if (!map) {
      map = new Map(snapshot.entries.get(u.machine) ?? []);
      copies.set(u.machine, map);
      current.set(u.machine, map);
    }
    applyUpdate(map, u);
  }
  // An unsettled path keeps its base where the base knew something of the machine there (an entry,
  // or its coverage). Where nothing was known, what the machine holds now becomes its base: it is
  // now covered there, and "nothing in the base" would claim it held nothing (a later plan would
  // take its copy for a creation, and a step that failed for a conflict).
  const covered = new Map<string, (path: string) => boolean>();
  const knew = (machine: string, path: string): boolean => {
    let test = covered.get(machine);
    if (test === undefined) covered.set(machine, (test = buildUnderTest(previous.covered?.get(machine) ?? [])));
    return test(path) || previous.get(machine)?.has(path) === true;
  };
  // Under a folder a scan could not read, nothing is known: every machine keeps its base there.
  const unread = [...(snapshot.unreadable?.values() ?? [])].flatMap((list) => list.map((u) => u.path));
  const unknown = unread.length > 0 ? buildUnderTest(unread) : () => false;
  return buildBaseAfterSync(previous, current, snapshot.paths, (machine, path) => unknown(path) || ((unsettled.has(path) || unmoved(path)) && knew(machine, path)));
}

interface EntryUpdate {
  readonly machine: string;
  readonly path: string;
  readonly entry: Entry | null;
  /** A move: what lay at or under `was` now lies at or under `path` (`entry` is what lies at `path`). */
  readonly was?: string;
}

/** One update applied to a machine's map of entries. */
function applyUpdate(map: Map<string, Entry>, u: EntryUpdate): void {
  if (u.was !== undefined && u.entry?.type !== 'dir') map.delete(u.was);
  else if (u.was !== undefined) {
    // A folder: everything under it (one walk of the map per moved folder).
    const was = u.was;
    const moved: [string, Entry][] = [];
    for (const [p, e] of map) if (p === was || p.startsWith(`${was}/`)) moved.push([p, e]);
    for (const [p] of moved) map.delete(p);
    for (const [p, e] of moved) map.set(u.path + p.slice(was.length), e);
  }
  if (u.entry === null) map.delete(u.path);
  else map.set(u.path, u.entry);
}

/** What done steps say each machine holds now: the target its new entry, the source what it sent. */
function updatesOf(done: readonly StepOutcome[]): EntryUpdate[] {
  const updates: EntryUpdate[] = [];
  for (const o of done) {
    // A copy kept aside: a new file `as` on its machine, the path itself untouched.
    if (o.step.action === 'copy-aside') {
      if (o.step.as !== undefined) updates.push({ machine: o.step.from, path: o.step.as, entry: o.after ?? null });
      continue;
    }
    // A move: the target's entries at and under the old path now lie under the new one; the mover is as it was.
    if (o.step.action === 'move') {
      updates.push({ machine: o.step.to, path: o.step.path, entry: o.after ?? null, was: o.step.was });
      continue;
    }
    if (o.step.action !== 'trash' && o.step.source) updates.push({ machine: o.step.from, path: o.step.path, entry: o.step.source });
    updates.push({ machine: o.step.to, path: o.step.path, entry: o.after ?? null });
  }
  return updates;
}

/** The previous base with single entries replaced (null removes). */
function buildBaseWithUpdates(previous: Base, updates: readonly EntryUpdate[]): Base {
  const next = new Map<string, ReadonlyMap<string, Entry>>(previous);
  const copies = new Map<string, Map<string, Entry>>();
  for (const u of updates) {
    let map = copies.get(u.machine);
    if (!map) {
      map = new Map(previous.get(u.machine) ?? []);
      copies.set(u.machine, map);
      next.set(u.machine, map);
    }
    applyUpdate(map, u);
  }
  return withCoverage(next, previous.covered);
}
