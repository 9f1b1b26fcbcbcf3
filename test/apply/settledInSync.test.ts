// The owed items a plain apply settles: those its fresh scan finds in sync, on a machine that answered.
import { describe, expect, it } from 'vitest';
import { buildSettledInSync } from '../../src/apply/settledInSync.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import type { OwedItem } from '../../src/state/journal.js';
import { f, input, snap } from '../plan/builder.js';

const owed = (path: string, machine: string): OwedItem => ({ path, machine, since: 1, reason: 'interrupted', kind: 'failed' });

describe('buildSettledInSync', () => {
  const snapshot = snap({ self: 'a', machines: { a: { 'docs/x': f(1), 'docs/y': f(2) }, b: { 'docs/x': f(1) }, c: 'offline' } });
  const plan = buildPlan(input(snapshot));
  const items = [owed('docs/x', 'b'), owed('docs/y', 'b'), owed('docs/x', 'c'), owed('other/z', 'b')];

  it('settles an item in sync on a machine that answered, at a scanned path; not one the plan still has a step for, nor one of a silent machine or an unscanned path', () => {
    expect(plan.steps.map((s) => `${s.path} → ${s.to}`)).toEqual(['docs/y → b']);
    expect(buildSettledInSync(plan, snapshot, items)).toEqual([{ path: 'docs/x', machine: 'b', reason: 'in sync after a fresh scan' }]);
  });

  it('settles nothing without a snapshot (a saved plan) or when a folder could not be read', () => {
    expect(buildSettledInSync(plan, null, items)).toEqual([]);
    const unreadable = snap({ self: 'a', machines: { a: { 'docs/x': f(1) }, b: { 'docs/x': f(1) } }, unreadable: { b: ['docs/q'] } });
    const planned = buildPlan(input(unreadable));
    expect(planned.warnings.some((w) => w.kind === 'unreadable')).toBe(true);
    expect(buildSettledInSync(planned, unreadable, items)).toEqual([]);
  });
});
