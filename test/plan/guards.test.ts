import { describe, it, expect } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { checkDeletionGuard as checkHeld, countHeldFiles, type DeletionLimits } from '../../src/plan/guards.js';
import type { Entry, Plan, Snapshot, Step } from '../../src/types.js';
import { baseOf, dir, f, input, link, snap, type Entries } from './builder.js';

function files(count: number, make: (i: number) => Entry = () => f(100)): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (let i = 0; i < count; i++) out[`docs/f${i}`] = make(i);
  return out;
}

/** A plan carrying only the given trash steps (the guard reads nothing else of it). */
function planWith(steps: Step[]): Plan {
  const s = snap({ self: 'a', machines: { a: {}, b: {}, c: {}, d: 'offline' } });
  return { ...buildPlan(input(s)), steps };
}

/** The guard with the counts of the snapshot (every sync path scanned). */
const checkDeletionGuard = (plan: Plan, snapshot: Snapshot, limits?: DeletionLimits) => checkHeld(plan, countHeldFiles(snapshot), limits);

const trash = (to: string, path: string, target: Entry): Step => ({ action: 'trash', path, from: 'a', to, source: null, target });

describe('checkDeletionGuard', () => {
  const b10: Entries = files(10);
  const s = snap({ self: 'a', machines: { a: {}, b: b10, c: files(10), d: 'offline' } });

  it.each([
    { name: 'no trash steps', trashed: 0, problems: 0 },
    { name: 'one of ten files', trashed: 1, problems: 0 },
    { name: 'exactly half', trashed: 5, problems: 0 },
    { name: 'more than half', trashed: 6, problems: 1 },
    { name: 'all of them', trashed: 10, problems: 1 },
  ])('$name', ({ trashed, problems }) => {
    const steps = Object.keys(b10).slice(0, trashed).map((p) => trash('b', p, b10[p]));
    const out = checkDeletionGuard(planWith(steps), s);
    expect(out).toHaveLength(problems);
    if (problems > 0) expect(out[0]).toBe(`b: propagating deletions would move ${trashed} of the 10 files it holds to trash (more than 50% of them); is a disk unmounted?`);
  });

  it('ignores directories on both sides of the count', () => {
    const entries: Record<string, Entry> = { ...files(4), 'docs/d1': dir(), 'docs/d2': dir(), 'docs/d3': dir(), 'docs/l': link('t') };
    const snapshot = snap({ self: 'a', machines: { a: {}, b: entries } });
    const dirs = ['docs/d1', 'docs/d2', 'docs/d3'].map((p) => trash('b', p, dir()));
    expect(checkDeletionGuard(planWith([...dirs, trash('b', 'docs/f0', f(100)), trash('b', 'docs/l', link('t'))]), snapshot)).toEqual([]);
    const three = [trash('b', 'docs/f0', f(100)), trash('b', 'docs/f1', f(100)), trash('b', 'docs/l', link('t'))];
    expect(checkDeletionGuard(planWith(three), snapshot)).toEqual([
      'b: propagating deletions would move 3 of the 5 files it holds to trash (more than 50% of them); is a disk unmounted?',
    ]);
  });

  it('caps the count however large the tree', () => {
    const snapshot = snap({ self: 'a', machines: { a: {}, b: files(100) } });
    const steps = ['docs/f0', 'docs/f1', 'docs/f2', 'docs/f3'].map((p) => trash('b', p, f(100)));
    expect(checkDeletionGuard(planWith(steps), snapshot, { maxFraction: 0.5, maxCount: 3 })).toEqual([
      'b: propagating deletions would move 4 of the 100 files it holds to trash (more than 3); is a disk unmounted?',
    ]);
    expect(checkDeletionGuard(planWith(steps.slice(0, 3)), snapshot, { maxFraction: 0.5, maxCount: 3 })).toEqual([]);
  });

  it('uses 1,000 files as the default cap', () => {
    const big = files(3000);
    const snapshot = snap({ self: 'a', machines: { a: {}, b: big } });
    const keys = Object.keys(big);
    expect(checkDeletionGuard(planWith(keys.slice(0, 1000).map((p) => trash('b', p, big[p]))), snapshot)).toEqual([]);
    expect(checkDeletionGuard(planWith(keys.slice(0, 1001).map((p) => trash('b', p, big[p]))), snapshot)).toHaveLength(1);
  });

  it('stops a disk that looks emptied from emptying the others, one line per machine in config order', () => {
    const tree = files(20);
    const snapshot = snap({ self: 'a', machines: { c: tree, a: {}, b: tree } });
    const plan = buildPlan(input(snapshot, baseOf({ a: tree, b: tree, c: tree }), { propagateDeletes: true }));
    expect(plan.steps.filter((st) => st.action === 'trash')).toHaveLength(40);
    expect(checkDeletionGuard(plan, snapshot)).toEqual([
      'c: propagating deletions would move 20 of the 20 files it holds to trash (more than 50% of them); is a disk unmounted?',
      'b: propagating deletions would move 20 of the 20 files it holds to trash (more than 50% of them); is a disk unmounted?',
    ]);
  });

  it('passes an ordinary propagated deletion', () => {
    const tree = files(20);
    const { 'docs/f0': _gone, ...rest } = tree;
    const snapshot = snap({ self: 'a', machines: { a: rest, b: tree } });
    const plan = buildPlan(input(snapshot, baseOf({ a: tree, b: tree }), { propagateDeletes: true }));
    expect(plan.steps).toHaveLength(1);
    expect(checkDeletionGuard(plan, snapshot)).toEqual([]);
  });

  it('weighs the trash steps against the counts it is given (all the sync paths), not against the narrowed plan', () => {
    const steps = ['docs/sub/f0', 'docs/sub/f1'].map((p) => trash('b', p, f(100)));
    expect(checkHeld(planWith(steps), new Map([['b', 50]]))).toEqual([]);
    expect(checkHeld(planWith(steps), new Map([['b', 2]]))).toEqual([
      'b: propagating deletions would move 2 of the 2 files it holds to trash (more than 50% of them); is a disk unmounted?',
    ]);
  });

  it('refuses a machine whose count is unknown', () => {
    expect(checkHeld(planWith([trash('b', 'docs/f0', f(100))]), new Map([['c', 50]]))).toEqual([
      'b: propagating deletions would move 1 files to trash, and the files it holds under the sync paths could not be counted',
    ]);
  });
});
