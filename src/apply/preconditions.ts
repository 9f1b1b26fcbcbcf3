import { SAME_TIME, sameVersion } from '../plan/versions.js';
import type { Entry, Step } from '../types.js';

/** True when two readings of a path on one machine (null/undefined = absent) show the very same entry (modes included). */
export function sameEntry(a: Entry | null | undefined, b: Entry | null | undefined): boolean {
  return sameVersion(a ?? undefined, b ?? undefined, SAME_TIME, true, true);
}

/** machine → the paths whose entries the steps' preconditions need. */
export function collectInvolved(steps: readonly Step[]): Map<string, Set<string>> {
  const involved = new Map<string, Set<string>>();
  const add = (machine: string, path: string) => {
    let set = involved.get(machine);
    if (!set) involved.set(machine, (set = new Set()));
    set.add(path);
  };
  for (const step of steps) {
    if (step.was !== undefined) add(step.to, step.was);
    add(step.from, step.path);
    add(step.to, step.path);
  }
  return involved;
}

/** Fresh entries per machine, or why the machine could not be looked at. */
export type Restat = ReadonlyMap<string, ReadonlyMap<string, Entry> | { readonly unreachable: string }>;

/**
 * For each step (by index), why it must not run: a machine unreachable, or its source or
 * target no longer what the plan expected. A push that follows a pull of the same path is
 * checked against what the pull expected on self (the pull re-checks the result).
 */
export function checkPreconditions(steps: readonly Step[], restat: Restat): Map<number, { status: 'stale' | 'failed'; reason: string }> {
  const problems = new Map<number, { status: 'stale' | 'failed'; reason: string }>();
  const pulled = new Set(steps.filter((s) => s.action === 'pull').map((s) => s.path));
  steps.forEach((step, i) => {
    if (step.action === 'copy-aside' || step.action === 'move') return; // looked at before the copy or move is made (applySteps)
    for (const machine of [step.from, step.to]) {
      const seen = restat.get(machine);
      if (seen && 'unreachable' in seen) {
        problems.set(i, { status: 'failed', reason: `${machine} unreachable (${seen.unreachable})` });
        return;
      }
    }
    const at = (machine: string) => (restat.get(machine) as ReadonlyMap<string, Entry> | undefined)?.get(step.path) ?? null;
    const checkSource = !(step.action === 'push' && pulled.has(step.path));
    if (checkSource && !sameEntry(at(step.from), step.source)) {
      problems.set(i, { status: 'stale', reason: `${step.from} changed since the plan (${describe(at(step.from))}, expected ${describe(step.source)})` });
    } else if (!sameEntry(at(step.to), step.target)) {
      problems.set(i, { status: 'stale', reason: `${step.to} changed since the plan (${describe(at(step.to))}, expected ${describe(step.target)})` });
    }
  });
  return problems;
}

/** A few words for an entry, for stale reasons. */
export function describe(entry: Entry | null): string {
  if (entry === null) return 'absent';
  if (entry.type === 'file') return `${entry.size} bytes, mode ${entry.mode.toString(8)}, mtime ${new Date(entry.mtime * 1000).toISOString()}`;
  return entry.type;
}
