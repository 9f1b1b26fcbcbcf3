import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../src/apply/applySteps.js';
import { buildBaseAfterApply } from '../../src/apply/baseAfterApply.js';
import { buildSyncedRecord, isBaseOfSelf, isSettledBySelf } from '../../src/apply/syncedAfterApply.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import type { Base, Entry, Plan, Snapshot } from '../../src/types.js';
import { baseOf, dir, f, input, snap } from '../plan/builder.js';

const done = (plan: Plan): StepOutcome[] => plan.steps.map((step, index) => ({ index, step, status: 'done' as const, after: step.source }));
const planFor = (snapshot: Snapshot, base: Base = new Map()): Plan => buildPlan(input(snapshot, base));

describe('isSettledBySelf', () => {
  const pushed = snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: { 'docs/a': f(10) } } });
  const base = baseOf({ here: { 'docs/a': f(10) }, m1: { 'docs/a': f(10) } });

  it('holds when self pushed and every step was done', () => {
    const plan = planFor(pushed, base);
    expect(plan.steps.map((s) => s.action)).toEqual(['push']);
    expect(isSettledBySelf(plan, done(plan))).toBe(true);
  });

  it('does not hold when a step failed, self pulled, a machine was offline, or a conflict was left', () => {
    const plan = planFor(pushed, base);
    expect(isSettledBySelf(plan, [{ ...done(plan)[0], status: 'failed', reason: 'x' }])).toBe(false);
    const pulled = planFor(snap({ self: 'here', machines: { here: { 'docs/a': f(10) }, m1: { 'docs/a': f(20) } } }), base);
    expect(isSettledBySelf(pulled, done(pulled))).toBe(false);
    const offline = planFor(snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: 'offline' } }), base);
    expect(isSettledBySelf(offline, done(offline))).toBe(false);
    const conflict = planFor(snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: { 'docs/a': f(30) } } }), base);
    expect(conflict.conflicts).toHaveLength(1);
    expect(isSettledBySelf(conflict, done(conflict))).toBe(false);
  });
});

describe('isBaseOfSelf', () => {
  const names = ['here', 'm1'];

  it('holds for the base a complete push leaves, folders compared by type only', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(5), 'docs/a': f(20) }, m1: { docs: dir(9), 'docs/a': f(10) } } });
    const plan = planFor(snapshot, baseOf({ here: { 'docs/a': f(10) }, m1: { 'docs/a': f(10) } }));
    const next = buildBaseAfterApply(new Map(), plan, done(plan), snapshot);
    expect(isBaseOfSelf(next, names, snapshot, ['docs'])).toBe(true);
  });

  it('does not hold when a machine holds another version, lacks a path, or the base names another machine', () => {
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20) } } });
    const a = { 'docs/a': f(20) };
    expect(isBaseOfSelf(baseOf({ here: a, m1: a }), names, snapshot, ['docs'])).toBe(true);
    expect(isBaseOfSelf(baseOf({ here: a, m1: { 'docs/a': f(20.5) } }), names, snapshot, ['docs'])).toBe(false);
    expect(isBaseOfSelf(baseOf({ here: a, m1: { ...a, 'docs/b': f(1) } }), names, snapshot, ['docs'])).toBe(false);
    expect(isBaseOfSelf(baseOf({ here: a }), names, snapshot, ['docs'])).toBe(false);
    expect(isBaseOfSelf(baseOf({ here: a, m1: a, old: a }), names, snapshot, ['docs'])).toBe(false);
    // Paths outside the scanned ones are not its business.
    expect(isBaseOfSelf(baseOf({ here: { ...a, 'other/x': f(1) }, m1: a }), names, snapshot, ['docs'])).toBe(true);
  });

  it('looks only at the paths of a partial snapshot', () => {
    const entries = new Map([['here', new Map<string, Entry>([['docs/a', f(20)]])], ['m1', new Map<string, Entry>([['docs/a', f(20)]])]]);
    const partial: Snapshot = { ...snap({ self: 'here', machines: { here: {}, m1: {} } }), entries, partial: { alike: 1000, files: new Map() } };
    expect(isBaseOfSelf(baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20) } }), names, partial, ['docs'])).toBe(true);
    expect(isBaseOfSelf(baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(21) } }), names, partial, ['docs'])).toBe(false);
    // A path the base still has (kept as it was) but self no longer holds.
    expect(isBaseOfSelf(baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20), 'docs/gone': f(1) } }), names, partial, ['docs'])).toBe(false);
  });
});

describe('buildSyncedRecord', () => {
  const key = { configDigest: 'c', self: 'here', paths: ['docs'], machines: ['here', 'm1'] };
  const origin = { generation: 'g', rows: 3, logPaths: 0, logBytes: 0 };
  const listing = { bytes: 42, digest: 'd'.repeat(64) };

  it('counts the paths and files self holds, left-out paths of a partial snapshot included', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(), 'docs/a': f(20), 'docs/b': f(1) }, m1: { docs: dir(), 'docs/a': f(10), 'docs/b': f(1) } } });
    const plan = planFor(snapshot, baseOf({ here: { 'docs/a': f(10), 'docs/b': f(1) }, m1: { 'docs/a': f(10), 'docs/b': f(1) } }));
    const next = buildBaseAfterApply(new Map(), plan, done(plan), snapshot);
    expect(buildSyncedRecord(key, listing, snapshot, next, origin, plan, done(plan))).toEqual({
      format: 1, ...key, base: origin, listingBytes: 42, listingDigest: listing.digest, records: 3, files: 2,
    });
    const entries = new Map([['here', new Map<string, Entry>([['docs/a', f(20)]])], ['m1', new Map<string, Entry>([['docs/a', f(20)]])]]);
    const partial: Snapshot = { ...snapshot, entries, partial: { alike: 500, files: new Map([['here', 450], ['m1', 450]]) } };
    const partialPlan = planFor(partial, baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20) } }));
    const partialNext = baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20) } }, { here: ['docs'], m1: ['docs'] });
    expect(buildSyncedRecord(key, listing, partial, partialNext, origin, partialPlan, [])).toMatchObject({ records: 501, files: 450 });
    // A base that does not cover every machine for the scanned paths cannot stand behind a partial run.
    const uncovered = baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20) } }, { here: ['docs'] });
    expect(buildSyncedRecord(key, listing, partial, uncovered, origin, partialPlan, [])).toBeNull();
  });

  it('is null when the apply did not leave every machine as self', () => {
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: { 'docs/a': f(10) } } });
    const plan = planFor(snapshot, baseOf({ here: { 'docs/a': f(10) }, m1: { 'docs/a': f(10) } }));
    const next = buildBaseAfterApply(new Map(), plan, done(plan), snapshot);
    const failed: StepOutcome[] = [{ ...done(plan)[0], status: 'failed', reason: 'cut' }];
    expect(buildSyncedRecord(key, listing, snapshot, next, origin, plan, failed)).toBeNull();
  });
});
