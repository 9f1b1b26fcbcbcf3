// Assembles a Plan from a snapshot, the base and the options: decides every path, then orders the results.
import { BlatError } from '../errors.js';
import type { Base, Conflict, Deferred, Deletion, Entry, Plan, PlanOptions, Snapshot, Step } from '../types.js';
import { decidePath } from './decidePath.js';
import { buildDeletion, buildTrashSteps, buildWinSteps, type OfflineMachine } from './steps.js';
import { buildUnderTest } from '../config/paths.js';
import { sameVersion } from './versions.js';

/** Everything the planner needs; it reads nothing else. */
export interface PlanInput {
  readonly configDigest: string;
  /** Entries per online machine; `machines` lists every configured machine with its status. */
  readonly snapshot: Snapshot;
  /** machine → path → entry at the last sync; an empty map when there is no base yet. */
  readonly base: Base;
  readonly options: PlanOptions;
  readonly nowMs: number;
}

const NO_ENTRIES: ReadonlyMap<string, Entry> = new Map();

/**
 * The plan for a snapshot: every entry path of the online machines (plus base paths under the scanned
 * paths) decided once, pulls first, then pushes and trash steps, deferred entries for offline machines,
 * conflicts and deletions — all sorted and frozen. Linear in the number of entries apart from one sort of the paths.
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
  const self = online.indexOf(snapshot.self);
  if (self === -1) throw new BlatError(`cannot plan: self machine "${snapshot.self}" is not online in the snapshot`);

  const rows = collectRows(online, snapshot, base);

  const pulls: Step[] = [];
  const later: Step[] = [];
  const owed: Deferred[][] = offline.map(() => []);
  const conflicts: Conflict[] = [];
  const deletions: Deletion[] = [];
  let inSync = 0;

  for (const view of rows) {
    const decision = decidePath(view, options);
    switch (decision.kind) {
      case 'same': {
        if (!decision.present) break;
        inSync++;
        // Alike on every online machine; an offline machine not known (by its base) to hold it is still owed it.
        const source = view.current[self] as Entry;
        offline.forEach((m, k) => {
          if (!sameVersion(m.base.get(view.path), source, options.modifyWindow)) {
            owed[k].push(Object.freeze({ path: view.path, machine: m.name, reason: m.reason, source }));
          }
        });
        break;
      }
      case 'conflict':
        conflicts.push(decision.conflict);
        break;
      case 'deletion':
        if (decision.propagate) for (const s of buildTrashSteps(view, decision.deletedOn, decision.holders)) later.push(s);
        deletions.push(buildDeletion(view, decision.deletedOn, decision.holders, onlineOrder, offline, decision.propagate));
        break;
      case 'win': {
        const made = buildWinSteps(view, decision.winner, self, offline, options.modifyWindow);
        if (made.pull !== null) pulls.push(made.pull);
        for (const s of made.pushes) later.push(s);
        made.deferred.forEach((d, k) => {
          if (d !== undefined) owed[k].push(d);
        });
        break;
      }
    }
  }

  const steps = pulls;
  for (const s of later) steps.push(s);
  const deferred: Deferred[] = [];
  for (const list of owed) for (const d of list) deferred.push(d);

  return Object.freeze({
    formatVersion: 1 as const,
    self: snapshot.self,
    configDigest: input.configDigest,
    snapshotDigest: snapshot.digest,
    createdAtMs: input.nowMs,
    targets: Object.freeze([...options.targets]),
    machines: Object.freeze([...snapshot.machines]),
    steps: Object.freeze(steps),
    deferred: Object.freeze(deferred),
    conflicts: Object.freeze(conflicts),
    deletions: Object.freeze(deletions),
    inSync,
  });
}

interface Row {
  readonly path: string;
  readonly machines: readonly string[];
  readonly current: (Entry | undefined)[];
  base: (Entry | undefined)[];
}

/**
 * One view per entry path, sorted by path: every path an online machine holds, plus every path in an
 * online machine's base that lies under the scanned paths (absent everywhere, such a path is decided
 * "nothing to do"; a path only an offline machine's base knows cannot change the outcome and is skipped).
 * Each (machine, path) costs one map operation for the entries and one for the base.
 */
function collectRows(online: readonly string[], snapshot: Snapshot, base: Base): Row[] {
  const n = online.length;
  const noBase: (Entry | undefined)[] = Object.freeze(new Array<Entry | undefined>(n).fill(undefined)) as (Entry | undefined)[];
  const rows = new Map<string, Row>();
  const fresh = (path: string): Row => {
    const row: Row = { path, machines: online, current: new Array<Entry | undefined>(n).fill(undefined), base: noBase };
    rows.set(path, row);
    return row;
  };
  for (let i = 0; i < n; i++) {
    const entries = snapshot.entries.get(online[i]);
    if (entries === undefined) continue;
    entries.forEach((entry, path) => {
      (rows.get(path) ?? fresh(path)).current[i] = entry;
    });
  }
  const under = buildUnderTest(snapshot.paths);
  for (let i = 0; i < n; i++) {
    const based = base.get(online[i]);
    if (based === undefined) continue;
    based.forEach((entry, path) => {
      let row = rows.get(path);
      if (row === undefined) {
        if (!under(path)) return;
        row = fresh(path);
      }
      if (row.base === noBase) row.base = new Array<Entry | undefined>(n).fill(undefined);
      row.base[i] = entry;
    });
  }
  const sorted = [...rows.values()];
  // Plain code-unit order, the same as `<`.
  sorted.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  return sorted;
}
