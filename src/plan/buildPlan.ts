// Assembles a Plan from a snapshot, the base and the options: decides every path, then orders the results.
import { BlatError } from '../errors.js';
import type { Base, Conflict, Deferred, Deletion, Entry, Plan, PlanOptions, Snapshot, Step } from '../types.js';
import { decidePath, type PathView } from './decidePath.js';
import { buildDeletion, buildTrashSteps, buildWinSteps, type OfflineMachine } from './steps.js';
import { buildUnderTest } from './under.js';

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

  const current = online.map((name) => snapshot.entries.get(name) ?? NO_ENTRIES);
  const based = online.map((name) => base.get(name) ?? NO_ENTRIES);
  const paths = collectPaths(current, based, snapshot.paths);

  const pulls: Step[] = [];
  const later: Step[] = [];
  const owed: Deferred[][] = offline.map(() => []);
  const conflicts: Conflict[] = [];
  const deletions: Deletion[] = [];
  let inSync = 0;
  const n = online.length;

  for (const path of paths) {
    const cur = new Array<Entry | undefined>(n);
    const bas = new Array<Entry | undefined>(n);
    for (let i = 0; i < n; i++) {
      cur[i] = current[i].get(path);
      bas[i] = based[i].get(path);
    }
    const view: PathView = { path, machines: online, current: cur, base: bas };
    const decision = decidePath(view, options);
    switch (decision.kind) {
      case 'same':
        if (decision.present) inSync++;
        break;
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

/**
 * The sorted universe of entry paths: every path an online machine holds, plus every path in an online
 * machine's base that lies under the scanned paths. (A path only an offline machine's base knows is
 * absent on every online machine, so deciding it would change nothing.)
 */
function collectPaths(
  current: readonly ReadonlyMap<string, Entry>[],
  based: readonly ReadonlyMap<string, Entry>[],
  scanned: readonly string[],
): string[] {
  const seen = new Set<string>();
  for (const map of current) for (const key of map.keys()) seen.add(key);
  const under = buildUnderTest(scanned);
  for (const map of based) for (const key of map.keys()) if (!seen.has(key) && under(key)) seen.add(key);
  // Default sort compares UTF-16 code units, the same order as `<`.
  return [...seen].sort();
}
