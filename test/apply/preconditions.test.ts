import { describe, expect, it } from 'vitest';
import { checkPreconditions, collectInvolved, describe as describeEntry, sameEntry, type Restat } from '../../src/apply/preconditions.js';
import type { Entry, Step } from '../../src/types.js';

const file = (mtime: number, size = 10): Entry => ({ type: 'file', mtime, size, mode: 0o644 });
const dir = (mtime: number): Entry => ({ type: 'dir', mtime, size: 0, mode: 0o755 });
const link = (target: string, mtime = 5): Entry => ({ type: 'symlink', mtime, size: target.length, mode: 0o777, target });

const push = (path: string, to: string, source: Entry, target: Entry | null = null): Step => ({ action: 'push', path, from: 'self', to, source, target });
const pull = (path: string, from: string, source: Entry, target: Entry | null = null): Step => ({ action: 'pull', path, from, to: 'self', source, target });
const trash = (path: string, from: string, to: string, target: Entry): Step => ({ action: 'trash', path, from, to, source: null, target });

/** machine → path → entry, as restatMachines returns it. */
function restat(spec: Record<string, Record<string, Entry> | { unreachable: string }>): Restat {
  return new Map(
    Object.entries(spec).map(([m, v]) => [m, 'unreachable' in v && typeof v.unreachable === 'string' ? (v as { unreachable: string }) : new Map(Object.entries(v as Record<string, Entry>))]),
  );
}

describe('sameEntry', () => {
  it('treats null and undefined as the same absence', () => {
    expect(sameEntry(null, undefined)).toBe(true);
    expect(sameEntry(undefined, null)).toBe(true);
    expect(sameEntry(null, file(1))).toBe(false);
    expect(sameEntry(file(1), undefined)).toBe(false);
  });

  it('accepts only float noise in mtimes, not the modify window', () => {
    expect(sameEntry(file(1_700_000_000.123456), file(1_700_000_000.123456))).toBe(true);
    expect(sameEntry(file(1_700_000_000.1234567), file(1_700_000_000.1234568))).toBe(true);
    expect(sameEntry(file(1_700_000_000.5), file(1_700_000_000.6))).toBe(false);
    expect(sameEntry(file(1_700_000_000), file(1_700_000_000.00001))).toBe(false);
  });

  it('compares modes: a chmod since the plan makes a step stale', () => {
    expect(sameEntry(file(10), { ...file(10), mode: 0o755 })).toBe(false);
    const steps = [push('d/x', 'm1', file(10))];
    const seen = restat({ self: { 'd/x': { ...file(10), mode: 0o755 } }, m1: {} });
    expect([...checkPreconditions(steps, seen).values()].map((p) => p.reason)).toEqual([
      'self changed since the plan (10 bytes, mode 755, mtime 1970-01-01T00:00:10.000Z, expected 10 bytes, mode 644, mtime 1970-01-01T00:00:10.000Z)',
    ]);
  });

  it('compares size, type and link target', () => {
    expect(sameEntry(file(10, 3), file(10, 4))).toBe(false);
    expect(sameEntry(file(10, 0), dir(10))).toBe(false);
    expect(sameEntry(link('a'), link('b'))).toBe(false);
    expect(sameEntry(link('a', 1), link('a', 1))).toBe(true);
    // Directories are one version whatever their mtime.
    expect(sameEntry(dir(1), dir(2))).toBe(true);
  });
});

describe('collectInvolved', () => {
  it('lists each machine once with every path its steps touch', () => {
    const involved = collectInvolved([pull('d/a', 'm1', file(2)), push('d/a', 'm2', file(2)), push('d/b', 'm2', file(3)), trash('d/c', 'm1', 'm3', file(4))]);
    expect(Object.fromEntries([...involved].map(([m, s]) => [m, [...s].sort()]))).toEqual({
      m1: ['d/a', 'd/c'],
      self: ['d/a', 'd/b'],
      m2: ['d/a', 'd/b'],
      m3: ['d/c'],
    });
  });
});

describe('checkPreconditions', () => {
  it('finds nothing wrong when every machine holds what the plan expected', () => {
    const steps = [push('d/a', 'm1', file(20), file(10)), push('d/b', 'm1', file(30)), pull('d/c', 'm2', file(40), file(5))];
    const seen = restat({ self: { 'd/a': file(20), 'd/b': file(30), 'd/c': file(5) }, m1: { 'd/a': file(10) }, m2: { 'd/c': file(40) } });
    expect(checkPreconditions(steps, seen)).toEqual(new Map());
  });

  it('marks a step stale when its source changed since the plan', () => {
    const steps = [push('d/a', 'm1', file(20)), push('d/b', 'm1', file(30))];
    const seen = restat({ self: { 'd/a': file(25), 'd/b': file(30) }, m1: {} });
    const problems = checkPreconditions(steps, seen);
    expect([...problems.keys()]).toEqual([0]);
    expect(problems.get(0)).toEqual({ status: 'stale', reason: expect.stringMatching(/^self changed since the plan \(10 bytes, .*expected 10 bytes/) });
  });

  it('marks a step stale when its target appeared, changed or vanished', () => {
    const steps = [push('d/new', 'm1', file(20)), push('d/old', 'm1', file(20), file(10)), push('d/gone', 'm1', file(20), file(10))];
    const seen = restat({
      self: { 'd/new': file(20), 'd/old': file(20), 'd/gone': file(20) },
      m1: { 'd/new': file(21, 99), 'd/old': file(10, 11) },
    });
    const problems = checkPreconditions(steps, seen);
    expect([...problems.keys()].sort()).toEqual([0, 1, 2]);
    for (const p of problems.values()) expect(p).toMatchObject({ status: 'stale', reason: expect.stringMatching(/^m1 changed since the plan/) });
    expect(problems.get(0)?.reason).toMatch(/99 bytes.*expected absent/);
    expect(problems.get(2)?.reason).toMatch(/\(absent, expected 10 bytes/);
  });

  it('fails the steps touching an unreachable machine, naming it', () => {
    const steps = [push('d/a', 'm1', file(20)), push('d/a', 'm2', file(20)), pull('d/b', 'm2', file(5))];
    const seen = restat({ self: { 'd/a': file(20) }, m1: {}, m2: { unreachable: 'refused' } });
    const problems = checkPreconditions(steps, seen);
    expect(problems.has(0)).toBe(false);
    expect(problems.get(1)).toEqual({ status: 'failed', reason: 'm2 unreachable (refused)' });
    expect(problems.get(2)).toEqual({ status: 'failed', reason: 'm2 unreachable (refused)' });
  });

  it('checks a push that follows a pull of the same path against its target only', () => {
    const winner = file(50, 7);
    // self still holds its old version: the pull will replace it before the push runs.
    const steps = [pull('d/a', 'm1', winner, file(10)), push('d/a', 'm2', winner, file(10)), push('d/a', 'm3', winner, null)];
    const seen = restat({ self: { 'd/a': file(10) }, m1: { 'd/a': winner }, m2: { 'd/a': file(10) }, m3: { 'd/a': file(11) } });
    const problems = checkPreconditions(steps, seen);
    expect([...problems.keys()]).toEqual([2]);
    expect(problems.get(2)?.reason).toMatch(/^m3 changed since the plan/);
  });

  it('checks a pull against self as its target', () => {
    const steps = [pull('d/a', 'm1', file(50), file(10))];
    const seen = restat({ self: { 'd/a': file(12) }, m1: { 'd/a': file(50) } });
    expect(checkPreconditions(steps, seen).get(0)?.reason).toMatch(/^self changed since the plan/);
  });

  it('keeps a trash step only while the path is still absent where it was deleted and unchanged where it goes', () => {
    const held = file(10);
    const steps = [trash('d/a', 'm1', 'm2', held), trash('d/b', 'm1', 'm2', held), trash('d/c', 'm1', 'm2', held)];
    const seen = restat({ m1: { 'd/b': file(99) }, m2: { 'd/a': held, 'd/b': held, 'd/c': file(11) } });
    const problems = checkPreconditions(steps, seen);
    expect(problems.has(0)).toBe(false);
    expect(problems.get(1)?.reason).toMatch(/^m1 changed since the plan \(10 bytes.*expected absent\)/);
    expect(problems.get(2)?.reason).toMatch(/^m2 changed since the plan/);
  });

  it('sees a symlink retargeted, but not a folder touched', () => {
    const steps = [push('d/l', 'm1', link('x')), push('d/sub', 'm1', dir(100))];
    const seen = restat({ self: { 'd/l': link('y'), 'd/sub': dir(200) }, m1: {} });
    expect([...checkPreconditions(steps, seen).keys()]).toEqual([0]);
  });
});

describe('describe', () => {
  it('says absent, bytes, mode and UTC mtime, or the type', () => {
    expect(describeEntry(null)).toBe('absent');
    expect(describeEntry(file(1_700_000_000.25, 12))).toBe('12 bytes, mode 644, mtime 2023-11-14T22:13:20.250Z');
    expect(describeEntry(dir(1))).toBe('dir');
    expect(describeEntry(link('t'))).toBe('symlink');
  });
});
