import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../src/apply/applySteps.js';
import { isSettledBy } from '../../src/apply/seenAfterApply.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import type { Base, Plan, Snapshot } from '../../src/types.js';
import { baseOf, f, input, snap } from '../plan/builder.js';

const done = (plan: Plan): StepOutcome[] => plan.steps.map((step, index) => ({ index, step, status: 'done' as const, after: step.source }));
const planFor = (snapshot: Snapshot, base: Base = new Map()): Plan => buildPlan(input(snapshot, base));

describe('isSettledBy', () => {
  const pushed = snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: { 'docs/a': f(10) } } });
  const base = baseOf({ here: { 'docs/a': f(10) }, m1: { 'docs/a': f(10) } });

  it('holds when self pushed and every step was done', () => {
    const plan = planFor(pushed, base);
    expect(plan.steps.map((s) => s.action)).toEqual(['push']);
    expect(isSettledBy(plan, done(plan), 'here')).toBe(true);
  });

  it('does not hold when a step failed, self pulled, a machine was offline, or a conflict was left', () => {
    const plan = planFor(pushed, base);
    expect(isSettledBy(plan, [{ ...done(plan)[0], status: 'failed', reason: 'x' }], 'here')).toBe(false);
    const pulled = planFor(snap({ self: 'here', machines: { here: { 'docs/a': f(10) }, m1: { 'docs/a': f(20) } } }), base);
    expect(isSettledBy(pulled, done(pulled), 'here')).toBe(false);
    const offline = planFor(snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: 'offline' } }), base);
    expect(isSettledBy(offline, done(offline), 'here')).toBe(false);
    const conflict = planFor(snap({ self: 'here', machines: { here: { 'docs/a': f(20) }, m1: { 'docs/a': f(30) } } }), base);
    expect(conflict.conflicts).toHaveLength(1);
    expect(isSettledBy(conflict, done(conflict), 'here')).toBe(false);
  });
});
