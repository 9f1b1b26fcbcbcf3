import { describe, expect, it } from 'vitest';
import { buildRemaining, buildStillOwed } from '../../src/plan/remaining.js';
import { emptyPlan, fullPlan } from '../render/fixtures.js';

describe('buildRemaining', () => {
  it('is empty only for a plan with nothing in it whose machines all answered', () => {
    expect(buildRemaining(emptyPlan())).toEqual([]);
  });

  it('counts a plan: copies and trash still to do, conflicts, held deletions, machines that did not answer with what they are owed', () => {
    expect(buildRemaining(fullPlan())).toEqual([
      { kind: 'to copy', count: 5 },
      { kind: 'to trash', count: 1 },
      { kind: 'conflict', count: 2 },
      { kind: 'held deletion', count: 1 },
      { kind: 'unreachable', machine: 'c', reason: 'timeout', owed: 1 },
    ]);
  });

  it('after an apply counts failed and stale steps, not done ones; steps without an outcome are still to do', () => {
    const plan = fullPlan();
    const [pull, push1, push2, , , trash] = plan.steps;
    const outcomes = [
      { step: pull, status: 'done' as const },
      { step: push1, status: 'failed' as const },
      { step: push2, status: 'stale' as const },
      { step: trash, status: 'done' as const },
    ];
    expect(buildRemaining(plan, outcomes)).toEqual([
      { kind: 'to copy', count: 2 },
      { kind: 'conflict', count: 2 },
      { kind: 'held deletion', count: 1 },
      { kind: 'failed', count: 1 },
      { kind: 'stale', count: 1 },
      { kind: 'unreachable', machine: 'c', reason: 'timeout', owed: 1 },
    ]);
  });

  it('counts an unreadable folder among the scan warnings, and no other warning', () => {
    expect(buildRemaining({ ...emptyPlan(), warnings: [{ kind: 'future' }, { kind: 'unreadable' }, { kind: 'unreadable' }] })).toEqual([{ kind: 'unreadable', count: 2 }]);
  });

  it('counts a machine that did not answer even when nothing is owed to it; never one out of use', () => {
    const plan = { ...emptyPlan(), machines: [...emptyPlan().machines, { name: 'm3', status: 'offline' as const, reason: 'stalled (no answer for 60 s)' }, { name: 'm4', status: 'outofuse' as const }] };
    expect(buildRemaining(plan)).toEqual([{ kind: 'unreachable', machine: 'm3', reason: 'stalled (no answer for 60 s)', owed: 0 }]);
  });
});

describe('buildStillOwed', () => {
  it('says which (path, machine) the plan still has something for', () => {
    const still = buildStillOwed(fullPlan());
    expect(still('docs/new.txt', 'b')).toBe(true); // a step
    expect(still('docs/report.txt', 'c')).toBe(true); // deferred
    expect(still('notes/todo.md', 'e')).toBe(true); // a conflict, for every machine
    expect(still('old/kept.txt', 'a')).toBe(true); // a held deletion
    expect(still('docs/new.txt', 'e')).toBe(false);
    expect(still('docs/other.txt', 'b')).toBe(false);
  });
});
