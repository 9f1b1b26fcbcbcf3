// In-memory builder of snapshots, bases and planner inputs for the planner's tests.
import type { Base, Entry, MachineObservation, PlanOptions, Prefer, Snapshot } from '../../src/types.js';
import type { PlanInput } from '../../src/plan/buildPlan.js';

/** A file entry with the given mtime (seconds) and size. */
export function f(mtime: number, size = 10, mode = 0o644): Entry {
  return Object.freeze({ type: 'file' as const, mtime, size, mode });
}

/** A directory entry. */
export function dir(mtime = 1000): Entry {
  return Object.freeze({ type: 'dir' as const, mtime, size: 0, mode: 0o755 });
}

/** A symlink entry pointing at `target`. */
export function link(target: string, mtime = 1000): Entry {
  return Object.freeze({ type: 'symlink' as const, mtime, size: target.length, mode: 0o777, target });
}

/** path → entry for one online machine. */
export type Entries = Readonly<Record<string, Entry>>;

/** One machine: its entries (online), `'offline'`, `{ offline: reason }`, or `'outofuse'`. */
export type MachineSpec = Entries | 'offline' | { readonly offline: string } | 'outofuse';

export interface SnapSpec {
  readonly self: string;
  /** Config order is the key order. */
  readonly machines: Readonly<Record<string, MachineSpec>>;
  /** Scanned sync paths; default ['docs']. */
  readonly paths?: readonly string[];
  readonly digest?: string;
  /** Online machine → folders its scan could not read ("permission denied"). */
  readonly unreadable?: Readonly<Record<string, readonly string[]>>;
}

function isOffline(spec: MachineSpec): spec is 'offline' | { readonly offline: string } {
  return spec === 'offline' || (typeof spec === 'object' && typeof (spec as { offline?: unknown }).offline === 'string');
}

/** A frozen Snapshot built from a literal description. */
export function snap(spec: SnapSpec): Snapshot {
  const machines: MachineObservation[] = [];
  const entries = new Map<string, ReadonlyMap<string, Entry>>();
  for (const [name, m] of Object.entries(spec.machines)) {
    if (m === 'outofuse') machines.push(Object.freeze({ name, status: 'outofuse' as const }));
    else if (isOffline(m)) {
      machines.push(Object.freeze({ name, status: 'offline' as const, reason: m === 'offline' ? 'timeout' : m.offline }));
    } else {
      machines.push(Object.freeze({ name, status: 'online' as const, clockOffsetMs: 0 }));
      entries.set(name, new Map(Object.entries(m as Entries)));
    }
  }
  return Object.freeze({
    self: spec.self,
    paths: Object.freeze([...(spec.paths ?? ['docs'])]),
    machines: Object.freeze(machines),
    entries,
    takenAtMs: 1_700_000_000_000,
    digest: spec.digest ?? 'snapdigest',
    ...(spec.unreadable
      ? { unreadable: new Map(Object.entries(spec.unreadable).map(([name, paths]) => [name, paths.map((path) => ({ path, reason: 'permission denied' }))])) }
      : {}),
  });
}

/** A Base built from machine → path → entry literals, covering `covered` (machine → sync paths) when given. */
export function baseOf(spec: Readonly<Record<string, Entries>>, covered?: Readonly<Record<string, readonly string[]>>): Base {
  const map = new Map(Object.entries(spec).map(([name, m]) => [name, new Map(Object.entries(m))]));
  return covered === undefined ? map : Object.assign(map, { covered: new Map(Object.entries(covered)) });
}

/** PlanOptions with defaults: no preference, deletions held, 1 s window, no targets. */
export function opts(over: Partial<PlanOptions> = {}): PlanOptions {
  return { prefer: { kind: 'none' }, propagateDeletes: false, modifyWindow: 1, targets: [], ...over };
}

/** Shorthands for `Prefer` values. */
export const prefer = {
  newest: { kind: 'newest' } as Prefer,
  machine: (machine: string): Prefer => ({ kind: 'machine', machine }),
};

/** A PlanInput around a snapshot, with an empty base and default options unless given. */
export function input(snapshot: Snapshot, base: Base = new Map(), options: Partial<PlanOptions> = {}): PlanInput {
  return { configDigest: 'configdigest', snapshot, base, options: opts(options), nowMs: 1_700_000_000_500 };
}
