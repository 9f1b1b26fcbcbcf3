import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../src/apply/applySteps.js';
import { buildBaseAfterApply } from '../../src/apply/baseAfterApply.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import type { Base, Entry, Plan, Snapshot, Step } from '../../src/types.js';
import { baseOf, f, input, snap, type Entries } from '../plan/builder.js';

/** Base as plain machine → path → entry records, for toEqual. */
const plain = (b: Base): Record<string, Entries> => Object.fromEntries([...b].map(([m, e]) => [m, Object.fromEntries(e)]));

/** Every step of the plan done, each target now holding `after(step)` (default: the source). */
function allDone(plan: Plan, after: (s: Step) => Entry | null = (s) => s.source): StepOutcome[] {
  return plan.steps.map((step, index) => ({ index, step, status: 'done' as const, after: after(step) }));
}

function planFor(snapshot: Snapshot, base: Base = new Map(), propagateDeletes = false): Plan {
  return buildPlan(input(snapshot, base, { propagateDeletes }));
}

describe('buildBaseAfterApply with the snapshot', () => {
  it('records every online machine holding the winners after a complete apply', () => {
    const snapshot = snap({
      self: 'here',
      machines: { here: { 'docs/a': f(10) }, m1: { 'docs/a': f(20, 5), 'docs/b': f(30) }, m2: {} },
    });
    const plan = planFor(snapshot);
    const base = buildBaseAfterApply(new Map(), plan, allDone(plan), snapshot);
    const want = { 'docs/a': f(20, 5), 'docs/b': f(30) };
    expect(plain(base)).toEqual({ here: want, m1: want, m2: want });
  });

  it('takes what the transfer left (after), not what the plan expected', () => {
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/a': f(10) }, m1: {} } });
    const plan = planFor(snapshot);
    const seen = f(10.0000004);
    const base = buildBaseAfterApply(new Map(), plan, allDone(plan, () => seen), snapshot);
    expect(base.get('m1')?.get('docs/a')).toBe(seen);
    expect(base.get('here')?.get('docs/a')).toEqual(f(10));
  });

  it('leaves the base of a path whose step was not done as it was, on every machine', () => {
    const previous = baseOf({ here: { 'docs/a': f(1) }, m1: { 'docs/a': f(1) }, m2: { 'docs/a': f(1) } });
    const snapshot = snap({
      self: 'here',
      machines: { here: { 'docs/a': f(5), 'docs/b': f(6) }, m1: { 'docs/a': f(1) }, m2: { 'docs/a': f(1) } },
    });
    const plan = planFor(snapshot, previous);
    const outcomes = allDone(plan).map((o) =>
      o.step.path === 'docs/a' && o.step.to === 'm2' ? { index: o.index, step: o.step, status: 'failed' as const, reason: 'rsync' } : o,
    );
    const base = buildBaseAfterApply(previous, plan, outcomes, snapshot);
    for (const m of ['here', 'm1', 'm2']) {
      expect(base.get(m)?.get('docs/a'), m).toEqual(f(1));
      expect(base.get(m)?.get('docs/b'), m).toEqual(f(6));
    }
  });

  it('keeps the previous base of conflicts and held deletions, so the next plan sees them again', () => {
    const previous = baseOf({
      here: { 'docs/c': f(1), 'docs/d': f(2) },
      m1: { 'docs/c': f(1), 'docs/d': f(2) },
    });
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/c': f(10, 1), 'docs/d': f(2) }, m1: { 'docs/c': f(20, 2) } } });
    const plan = planFor(snapshot, previous);
    expect(plan.conflicts.map((c) => c.path)).toEqual(['docs/c']);
    expect(plan.deletions.map((d) => [d.path, d.propagated])).toEqual([['docs/d', false]]);
    const base = buildBaseAfterApply(previous, plan, allDone(plan), snapshot);
    expect(plain(base)).toEqual(plain(previous));
    // The next plan still has both.
    const next = planFor(snapshot, base);
    expect(next.conflicts.map((c) => c.path)).toEqual(['docs/c']);
    expect(next.deletions.map((d) => d.path)).toEqual(['docs/d']);
  });

  it('drops a path moved to trash from every machine once the trash steps are done', () => {
    const previous = baseOf({ here: { 'docs/x': f(1), 'docs/y': f(3) }, m1: { 'docs/x': f(1), 'docs/y': f(3) }, m2: { 'docs/x': f(1), 'docs/y': f(3) } });
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/x': f(1), 'docs/y': f(3) }, m1: { 'docs/y': f(3) }, m2: { 'docs/x': f(1), 'docs/y': f(3) } } });
    const plan = planFor(snapshot, previous, true);
    expect(plan.steps.map((s) => `${s.action} ${s.to}`)).toEqual(['trash here', 'trash m2']);
    const base = buildBaseAfterApply(previous, plan, allDone(plan, () => null), snapshot);
    for (const m of ['here', 'm1', 'm2']) expect(plain(base)[m], m).toEqual({ 'docs/y': f(3) });
  });

  it('keeps the base of offline machines and of paths outside the scanned ones', () => {
    const previous = baseOf({
      here: { 'docs/a': f(1), 'etc/z': f(9) },
      m1: { 'docs/a': f(1), 'etc/z': f(9) },
      away: { 'docs/a': f(1), 'etc/z': f(9) },
    });
    const snapshot = snap({ self: 'here', paths: ['docs'], machines: { here: { 'docs/a': f(5) }, m1: { 'docs/a': f(1) }, away: 'offline' } });
    const plan = planFor(snapshot, previous);
    expect(plan.deferred.map((d) => d.machine)).toEqual(['away']);
    const base = buildBaseAfterApply(previous, plan, allDone(plan), snapshot);
    expect(plain(base)).toEqual({
      here: { 'docs/a': f(5), 'etc/z': f(9) },
      m1: { 'docs/a': f(5), 'etc/z': f(9) },
      away: { 'docs/a': f(1), 'etc/z': f(9) },
    });
  });

  it('does not modify the previous base or the snapshot', () => {
    const previous = baseOf({ here: { 'docs/a': f(1) }, m1: { 'docs/a': f(1) } });
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/a': f(5) }, m1: { 'docs/a': f(1) } } });
    const plan = planFor(snapshot, previous);
    buildBaseAfterApply(previous, plan, allDone(plan), snapshot);
    expect(plain(previous)).toEqual({ here: { 'docs/a': f(1) }, m1: { 'docs/a': f(1) } });
    expect(snapshot.entries.get('m1')?.get('docs/a')).toEqual(f(1));
  });
});

describe('buildBaseAfterApply: coverage', () => {
  it('covers the online machines for the scanned paths, keeps what the offline ones had', () => {
    const previous = baseOf({ m2: { 'docs/a': f(1) } }, { m2: ['docs'] });
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/a': f(5) }, m1: {}, m2: 'offline' } });
    const plan = planFor(snapshot, previous);
    const base = buildBaseAfterApply(previous, plan, allDone(plan), snapshot);
    expect(Object.fromEntries(base.covered ?? [])).toEqual({ m2: ['docs'], here: ['docs'], m1: ['docs'] });
    // A saved plan's apply scanned nothing: the coverage stays as it was.
    expect(buildBaseAfterApply(previous, plan, allDone(plan), null).covered).toBe(previous.covered);
  });

  it('after a push that went stale (the target created the path meanwhile), the next plan is a conflict, not "newest wins"', () => {
    const covered = { here: ['docs'], m1: ['docs'] };
    const previous = baseOf({ here: { 'docs/old': f(1) }, m1: { 'docs/old': f(1) } }, covered);
    const before = snap({ self: 'here', machines: { here: { 'docs/old': f(1), 'docs/n': f(100, 5) }, m1: { 'docs/old': f(1) } } });
    const plan = planFor(before, previous);
    expect(plan.steps.map((s) => `${s.action} ${s.path} ${s.to}`)).toEqual(['push docs/n m1']);
    const stale: StepOutcome[] = [{ index: 0, step: plan.steps[0], status: 'stale', reason: 'm1 changed since the plan' }];
    const base = buildBaseAfterApply(previous, plan, stale, before);
    // m1 created its own docs/n, newer than here's: it must not silently replace here's.
    const after = snap({ self: 'here', machines: { here: { 'docs/old': f(1), 'docs/n': f(100, 5) }, m1: { 'docs/old': f(1), 'docs/n': f(200, 7) } } });
    const next = planFor(after, base);
    expect(next.steps).toEqual([]);
    expect(next.conflicts.map((c) => c.reason)).toEqual(['created on here and m1']);
  });

  it('a first apply whose pull failed: the next plan decides as before ("newest wins"), not a conflict', () => {
    const before = snap({ self: 'here', machines: { here: { 'docs/n': f(100, 5) }, m1: { 'docs/n': f(200, 7) } } });
    const plan = planFor(before);
    expect(plan.steps.map((s) => `${s.action} ${s.path} ${s.from}`)).toEqual(['pull docs/n m1']);
    const failed: StepOutcome[] = [{ index: 0, step: plan.steps[0], status: 'failed', reason: 'cut' }];
    const base = buildBaseAfterApply(new Map(), plan, failed, before);
    expect(plain(base)).toEqual({ here: { 'docs/n': f(100, 5) }, m1: { 'docs/n': f(200, 7) } });
    expect(planFor(before, base).steps.map((s) => `${s.action} ${s.path} ${s.from}`)).toEqual(['pull docs/n m1']);
  });

  it('a held deletion keeps the base entry of a machine not covered yet (a base of an older blat)', () => {
    const previous = baseOf({ here: { 'docs/d': f(1) }, m1: { 'docs/d': f(1) } });
    const snapshot = snap({ self: 'here', machines: { here: {}, m1: { 'docs/d': f(1) } } });
    const plan = planFor(snapshot, previous);
    const base = buildBaseAfterApply(previous, plan, allDone(plan), snapshot);
    expect(base.get('here')?.get('docs/d')).toEqual(f(1));
    expect(planFor(snapshot, base).deletions.map((d) => d.path)).toEqual(['docs/d']);
  });

  it('a first apply whose push went stale covers both machines: the two versions are then a conflict', () => {
    const before = snap({ self: 'here', machines: { here: { 'docs/n': f(100, 5) }, m1: {} } });
    const plan = planFor(before);
    const stale: StepOutcome[] = [{ index: 0, step: plan.steps[0], status: 'stale', reason: 'm1 changed since the plan' }];
    const base = buildBaseAfterApply(new Map(), plan, stale, before);
    // here held docs/n at that sync (its base now says so); m1 held nothing there and has created one since.
    expect(plain(base)).toEqual({ here: { 'docs/n': f(100, 5) } });
    const after = snap({ self: 'here', machines: { here: { 'docs/n': f(100, 5) }, m1: { 'docs/n': f(200, 7) } } });
    expect(planFor(after, base).conflicts.map((c) => c.reason)).toEqual(['created on m1 while here held another version']);
  });
});

describe('buildBaseAfterApply for a saved plan (no snapshot)', () => {
  it('updates only the entries the done steps touched', () => {
    const previous = baseOf({ here: { 'docs/old': f(1) }, m1: { 'docs/old': f(1), 'docs/keep': f(2) } });
    const src = f(50, 4);
    const steps: Step[] = [
      { action: 'pull', path: 'docs/p', from: 'm1', to: 'here', source: src, target: null },
      { action: 'push', path: 'docs/p', from: 'here', to: 'm2', source: src, target: null },
      { action: 'push', path: 'docs/q', from: 'here', to: 'm1', source: f(60), target: null },
      { action: 'trash', path: 'docs/old', from: 'm2', to: 'm1', source: null, target: f(1) },
    ];
    const outcomes: StepOutcome[] = [
      { index: 0, step: steps[0], status: 'done', after: src },
      { index: 1, step: steps[1], status: 'done', after: src },
      { index: 2, step: steps[2], status: 'stale', reason: 'm1 changed since the plan' },
      { index: 3, step: steps[3], status: 'done', after: null },
    ];
    const plan = { steps } as unknown as Plan;
    const base = buildBaseAfterApply(previous, plan, outcomes, null);
    expect(plain(base)).toEqual({
      here: { 'docs/old': f(1), 'docs/p': src },
      m1: { 'docs/keep': f(2), 'docs/p': src },
      m2: { 'docs/p': src },
    });
    expect(plain(previous)).toEqual({ here: { 'docs/old': f(1) }, m1: { 'docs/old': f(1), 'docs/keep': f(2) } });
  });
});

describe('buildBaseAfterApply after moves', () => {
  const T = 1_690_000_000;
  const D = Object.freeze({ type: 'dir' as const, mtime: 1000, size: 0, mode: 0o755 });
  const was = { docs: D, 'docs/photos': D, 'docs/photos/a.jpg': f(T, 5), 'docs/photos/sub': D, 'docs/photos/sub/b.jpg': f(T + 1, 6), 'docs/keep': f(T, 1) };
  const now = { docs: D, 'docs/pics': D, 'docs/pics/a.jpg': f(T, 5), 'docs/pics/sub': D, 'docs/pics/sub/b.jpg': f(T + 1, 6), 'docs/keep': f(T, 1) };
  const covered = { here: ['docs'], m1: ['docs'], m2: ['docs'] };
  const previous = baseOf({ here: was, m1: was, m2: was }, covered);
  const snapshot = snap({ self: 'here', machines: { here: now, m1: was, m2: was } });

  it('a done folder move: every machine holds the folder at its new path, nothing at the old one', () => {
    const plan = planFor(snapshot, previous);
    expect(plan.steps.map((s) => `${s.action} ${s.was} ${s.path} ${s.to}`)).toEqual(['move docs/photos docs/pics m1', 'move docs/photos docs/pics m2']);
    const base = buildBaseAfterApply(previous, plan, allDone(plan), snapshot);
    expect(plain(base)).toEqual({ here: now, m1: now, m2: now });
    // Without the snapshot (a saved plan), the done moves rename the previous base too.
    expect(plain(buildBaseAfterApply(previous, plan, allDone(plan), null)).m1).toEqual(now);
  });

  it('a move not done leaves both paths as the base had them there, so the next plan moves again', () => {
    const plan = planFor(snapshot, previous);
    const outcomes = allDone(plan).map((o) => (o.step.to === 'm2' ? { index: o.index, step: o.step, status: 'failed' as const, reason: 'unreachable' } : o));
    const base = buildBaseAfterApply(previous, plan, outcomes, snapshot);
    expect(plain(base).m2).toEqual(was);
    expect(plain(base).here).toEqual(was);
    const next = planFor(snap({ self: 'here', machines: { here: now, m1: now, m2: was } }), base);
    expect(next.steps.map((s) => `${s.action} ${s.was} ${s.path} ${s.to}`)).toEqual(['move docs/photos docs/pics m2']);
  });
});
