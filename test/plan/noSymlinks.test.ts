import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { baseOf, dir, f, input, link, snap } from './builder.js';

describe('planning with a machine whose filesystem holds no symlinks (exFAT, FAT)', () => {
  it('a symlink to be written there is a conflict naming it, written nowhere; the files beside it go', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(), 'docs/link': link('a.txt'), 'docs/a.txt': f(100) }, m1: { docs: dir() }, usb: { docs: dir() } } });
    const plan = buildPlan(input(snapshot, new Map(), { noSymlinks: ['usb'] }));
    expect(plan.conflicts.map((c) => [c.path, c.reason])).toEqual([['docs/link', 'symlinks cannot be written on usb (its filesystem holds none)']]);
    expect(plan.conflicts[0].versions.map((v) => [v.machines, v.entry?.type ?? null])).toEqual([[['here'], 'symlink'], [['m1', 'usb'], null]]);
    expect(plan.steps.map((s) => [s.path, s.to])).toEqual([['docs/a.txt', 'm1'], ['docs/a.txt', 'usb']]);
    // Without it, the link would be pushed there, and rsync fail on it at every apply.
    const blind = buildPlan(input(snapshot));
    expect(blind.steps.filter((s) => s.path === 'docs/link').map((s) => s.to)).toEqual(['m1', 'usb']);
  });

  it('a symlink deleted where it was held is deleted on the others as usual', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir() }, m1: { docs: dir(), 'docs/link': link('a') }, usb: { docs: dir() } } });
    const base = baseOf({ here: { docs: dir(), 'docs/link': link('a') }, m1: { docs: dir(), 'docs/link': link('a') }, usb: { docs: dir() } });
    const plan = buildPlan(input(snapshot, base, { noSymlinks: ['usb'], propagateDeletes: true }));
    expect(plan.conflicts).toEqual([]);
    expect(plan.steps.map((s) => [s.action, s.path, s.to])).toEqual([['trash', 'docs/link', 'm1']]);
  });
});
