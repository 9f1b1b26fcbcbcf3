import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { addChecksumConflicts, CHECKSUM_CONFLICT_REASON } from '../../src/plan/checksums.js';
import type { Snapshot } from '../../src/types.js';
import { f, input, snap, type Entries } from './builder.js';

// plan --checksum: copies alike by size and mtime but not by sha256 are conflicts.

function withSums(machines: Record<string, Entries>, sums: Record<string, Record<string, string>>): Snapshot {
  const s = snap({ self: 'a', machines });
  return { ...s, sums: new Map(Object.entries(sums).map(([m, p]) => [m, new Map(Object.entries(p))])) };
}

describe('addChecksumConflicts', () => {
  it('lists same-version copies with different content as a conflict, no longer in sync', () => {
    const s = withSums({ a: { 'docs/x': f(100), 'docs/y': f(100) }, b: { 'docs/x': f(100), 'docs/y': f(100) } }, { a: { 'docs/x': 'aa', 'docs/y': 'cc' }, b: { 'docs/x': 'bb', 'docs/y': 'cc' } });
    const plain = buildPlan(input(s));
    expect(plain.inSync).toBe(2);
    const p = addChecksumConflicts(plain, s, 1);
    expect(p.inSync).toBe(1);
    expect(p.conflicts.map((c) => `${c.path}: ${c.reason}: ${c.versions.map((v) => v.machines.join(',')).join(' | ')}`)).toEqual([`docs/x: ${CHECKSUM_CONFLICT_REASON}: a | b`]);
    expect(Object.isFrozen(p.conflicts)).toBe(true);
  });

  it('drops the steps of such a path (the copy sent might not be what the others hold)', () => {
    const s = withSums({ a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) }, c: {} }, { a: { 'docs/x': 'aa' }, b: { 'docs/x': 'bb' } });
    const plain = buildPlan(input(s));
    expect(plain.steps.map((x) => x.to)).toEqual(['c']);
    const p = addChecksumConflicts(plain, s, 1);
    expect(p.steps).toEqual([]);
    expect(p.conflicts.map((c) => c.path)).toEqual(['docs/x']);
    expect(p.inSync).toBe(plain.inSync);
  });

  it('leaves the plan alone when sums agree, when versions differ anyway, or without sums', () => {
    const same = withSums({ a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) } }, { a: { 'docs/x': 'aa' }, b: { 'docs/x': 'aa' } });
    const plan1 = buildPlan(input(same));
    expect(addChecksumConflicts(plan1, same, 1)).toBe(plan1);
    const newer = withSums({ a: { 'docs/x': f(100) }, b: { 'docs/x': f(900) } }, { a: { 'docs/x': 'aa' }, b: { 'docs/x': 'bb' } });
    const plan2 = buildPlan(input(newer));
    expect(addChecksumConflicts(plan2, newer, 1)).toBe(plan2);
    const none = snap({ self: 'a', machines: { a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) } } });
    const plan3 = buildPlan(input(none));
    expect(addChecksumConflicts(plan3, none, 1)).toBe(plan3);
  });
});
