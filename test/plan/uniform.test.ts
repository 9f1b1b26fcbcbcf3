import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { isIdenticalSnapshot, isUniformSnapshot } from '../../src/plan/uniform.js';
import type { Entry } from '../../src/types.js';
import { baseOf, dir, f, input, link, snap } from './builder.js';

describe('isUniformSnapshot', () => {
  it('is true when every online machine holds the same versions (within the window)', () => {
    expect(isUniformSnapshot(snap({ self: 'a', machines: { a: { 'docs/x': f(100) }, b: { 'docs/x': f(100.5) }, c: 'outofuse' } }), { modifyWindow: 1 })).toBe(true);
  });
  it.each([
    ['a path missing on one machine', { a: { 'docs/x': f(100), 'docs/y': f(1) }, b: { 'docs/x': f(100) } }],
    ['same count, different paths', { a: { 'docs/x': f(100) }, b: { 'docs/y': f(100) } }],
    ['a different version', { a: { 'docs/x': f(100) }, b: { 'docs/x': f(200) } }],
    ['a machine offline', { a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) }, c: 'offline' }],
  ])('is false with %s', (_label, machines) => {
    expect(isUniformSnapshot(snap({ self: 'a', machines: machines as never }), { modifyWindow: 1 })).toBe(false);
  });
  it('promises what the planner does: a uniform snapshot plans the same with or without a base', () => {
    const s = snap({ self: 'a', machines: { a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) } } });
    const withBase = buildPlan(input(s, baseOf({ a: { 'docs/x': f(50), 'docs/gone': f(1) }, b: { 'docs/x': f(50) } })));
    const without = buildPlan(input(s, baseOf({})));
    expect(isUniformSnapshot(s, { modifyWindow: 1 })).toBe(true);
    expect(withBase).toEqual(without);
  });
});

describe('isIdenticalSnapshot', () => {
  const tree = () => ({ docs: dir(1000), 'docs/x': f(100.25), 'docs/sub': dir(1001), 'docs/link': link('../a b') });

  it('is true when every online machine holds exactly the same entries (outofuse ignored)', () => {
    const s = snap({ self: 'a', machines: { a: tree(), b: tree(), c: 'outofuse', d: tree() } });
    expect(s.entries.get('a')).not.toBe(s.entries.get('b'));
    expect(isIdenticalSnapshot(s)).toBe(true);
  });

  it('is true for one online machine, and for machines all holding nothing', () => {
    expect(isIdenticalSnapshot(snap({ self: 'a', machines: { a: tree(), b: 'outofuse' } }))).toBe(true);
    expect(isIdenticalSnapshot(snap({ self: 'a', machines: { a: {}, b: {} } }))).toBe(true);
  });

  it.each<[string, Record<string, Entry>]>([
    ['a folder\'s mtime', { docs: dir(1002) }],
    ['a folder\'s mode', { 'docs/sub': { ...dir(1001), mode: 0o700 } }],
  ])('is true when only %s differs: no plan reads it, and writes into a folder change it', (_what, change) => {
    const s = snap({ self: 'a', machines: { a: tree(), b: { ...tree(), ...change } } });
    expect(isIdenticalSnapshot(s)).toBe(true);
    // scanAndPlan skips the uniform check (and the base) on an identical snapshot: identical implies uniform.
    expect(isUniformSnapshot(s, { modifyWindow: 0 })).toBe(true);
  });

  it('is false when no machine was scanned', () => {
    expect(isIdenticalSnapshot(snap({ self: 'a', machines: { a: 'outofuse' } }))).toBe(false);
  });

  it('is false when an mtime differs by 0.5 s, though the snapshot is uniform within a 1 s window', () => {
    const s = snap({ self: 'a', machines: { a: tree(), b: { ...tree(), 'docs/x': f(100.75) } } });
    expect(isUniformSnapshot(s, { modifyWindow: 1 })).toBe(true);
    expect(isIdenticalSnapshot(s)).toBe(false);
  });

  it.each<[string, Record<string, Entry>]>([
    ['a mode', { 'docs/x': f(100.25, 10, 0o600) }],
    ['a symlink\'s mtime', { 'docs/link': link('../a b', 1001) }],
  ])('is false when only %s differs, though the snapshot is uniform (modes of c ignored)', (_what, change) => {
    const s = snap({ self: 'a', machines: { a: tree(), b: tree(), c: { ...tree(), ...change } } });
    expect(isUniformSnapshot(s, { modifyWindow: 1, ignorePerms: ['c'] })).toBe(true);
    expect(isIdenticalSnapshot(s)).toBe(false);
  });

  it.each<[string, Record<string, Entry>]>([
    ['a size', { 'docs/x': f(100.25, 11) }],
    ['a type', { 'docs/x': { ...f(100.25), type: 'dir' } }],
    ['a symlink\'s target (same length)', { 'docs/link': link('../a c') }],
  ])('is false when %s differs', (_what, change) => {
    expect(isIdenticalSnapshot(snap({ self: 'a', machines: { a: tree(), b: { ...tree(), ...change } } }))).toBe(false);
  });

  it('is false when a machine is offline, even with the others identical', () => {
    expect(isIdenticalSnapshot(snap({ self: 'a', machines: { a: tree(), b: tree(), c: 'offline' } }))).toBe(false);
    expect(isIdenticalSnapshot(snap({ self: 'a', machines: { a: tree(), b: { offline: 'root /x missing' } } }))).toBe(false);
  });

  it.each<[string, Record<string, Record<string, Entry>>]>([
    ['same count, different paths', { a: { 'docs/x': f(1) }, b: { 'docs/y': f(1) } }],
    ['a path missing on the second machine', { a: { 'docs/x': f(1), 'docs/y': f(1) }, b: { 'docs/x': f(1) } }],
    ['a path missing on the first machine', { a: { 'docs/x': f(1) }, b: { 'docs/x': f(1), 'docs/y': f(1) } }],
    ['nothing on one machine', { a: {}, b: { 'docs/x': f(1) } }],
  ])('is false with %s', (_what, machines) => {
    expect(isIdenticalSnapshot(snap({ self: 'a', machines }))).toBe(false);
  });
});
