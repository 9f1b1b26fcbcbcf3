import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../src/apply/applySteps.js';
import { buildBaseAfterApply } from '../../src/apply/baseAfterApply.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { isBaseOfListing } from '../../src/snapshot/baseOfListing.js';
import type { Base, Entry, Plan, Snapshot } from '../../src/types.js';
import { baseOf, dir, f, input, snap } from '../plan/builder.js';

const done = (plan: Plan): StepOutcome[] => plan.steps.map((step, index) => ({ index, step, status: 'done' as const, after: step.source }));
const planFor = (snapshot: Snapshot, base: Base = new Map()): Plan => buildPlan(input(snapshot, base));

describe('isBaseOfListing', () => {
  const names = ['here', 'm1'];

  it('holds for the base a complete push leaves, folders compared by type only', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(5), 'docs/a': f(20) }, m1: { docs: dir(9), 'docs/a': f(10) } } });
    const plan = planFor(snapshot, baseOf({ here: { 'docs/a': f(10) }, m1: { 'docs/a': f(10) } }));
    const next = buildBaseAfterApply(new Map(), plan, done(plan), snapshot);
    expect(isBaseOfListing(next, names, snapshot, ['docs'], 'here')).toBe(true);
  });

  it('does not hold when a machine holds another version, lacks a path, or the base names another machine', () => {
    const snapshot = snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20) } } });
    const a = { 'docs/a': f(20) };
    expect(isBaseOfListing(baseOf({ here: a, m1: a }), names, snapshot, ['docs'], 'here')).toBe(true);
    expect(isBaseOfListing(baseOf({ here: a, m1: { 'docs/a': f(20.5) } }), names, snapshot, ['docs'], 'here')).toBe(false);
    expect(isBaseOfListing(baseOf({ here: a, m1: { ...a, 'docs/b': f(1) } }), names, snapshot, ['docs'], 'here')).toBe(false);
    expect(isBaseOfListing(baseOf({ here: a }), names, snapshot, ['docs'], 'here')).toBe(false);
    expect(isBaseOfListing(baseOf({ here: a, m1: a, old: a }), names, snapshot, ['docs'], 'here')).toBe(false);
    // Paths outside the scanned ones are not its business.
    expect(isBaseOfListing(baseOf({ here: { ...a, 'other/x': f(1) }, m1: a }), names, snapshot, ['docs'], 'here')).toBe(true);
  });

  it('looks only at the paths of a partial snapshot', () => {
    const entries = new Map([['here', new Map<string, Entry>([['docs/a', f(20)]])], ['m1', new Map<string, Entry>([['docs/a', f(20)]])]]);
    const partial: Snapshot = { ...snap({ self: 'here', machines: { here: {}, m1: {} } }), entries, partial: { alike: 1000, files: new Map() } };
    expect(isBaseOfListing(baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20) } }), names, partial, ['docs'], 'here')).toBe(true);
    expect(isBaseOfListing(baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(21) } }), names, partial, ['docs'], 'here')).toBe(false);
    // A path the base still has (kept as it was) but self no longer holds.
    expect(isBaseOfListing(baseOf({ here: { 'docs/a': f(20) }, m1: { 'docs/a': f(20), 'docs/gone': f(1) } }), names, partial, ['docs'], 'here')).toBe(false);
  });
});
