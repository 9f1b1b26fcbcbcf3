import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { isUniformSnapshot } from '../../src/plan/uniform.js';
import { baseOf, f, input, snap } from './builder.js';

describe('isUniformSnapshot', () => {
  it('is true when every online machine holds the same versions (within the window)', () => {
    expect(isUniformSnapshot(snap({ self: 'a', machines: { a: { 'docs/x': f(100) }, b: { 'docs/x': f(100.5) }, c: 'outofuse' } }), 1)).toBe(true);
  });
  it.each([
    ['a path missing on one machine', { a: { 'docs/x': f(100), 'docs/y': f(1) }, b: { 'docs/x': f(100) } }],
    ['same count, different paths', { a: { 'docs/x': f(100) }, b: { 'docs/y': f(100) } }],
    ['a different version', { a: { 'docs/x': f(100) }, b: { 'docs/x': f(200) } }],
    ['a machine offline', { a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) }, c: 'offline' }],
  ])('is false with %s', (_label, machines) => {
    expect(isUniformSnapshot(snap({ self: 'a', machines: machines as never }), 1)).toBe(false);
  });
  it('promises what the planner does: a uniform snapshot plans the same with or without a base', () => {
    const s = snap({ self: 'a', machines: { a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) } } });
    const withBase = buildPlan(input(s, baseOf({ a: { 'docs/x': f(50), 'docs/gone': f(1) }, b: { 'docs/x': f(50) } })));
    const without = buildPlan(input(s, baseOf({})));
    expect(isUniformSnapshot(s, 1)).toBe(true);
    expect(withBase).toEqual(without);
  });
});
