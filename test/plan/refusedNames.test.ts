import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { findRefusedName, findRefusedPart } from '../../src/plan/refusedNames.js';
import { dir, f, input, snap } from './builder.js';

const EXFAT = { chars: ':?*"<>|\\', controls: true as const, nonUtf8: true as const };

describe('findRefusedPart / findRefusedName', () => {
  it('names what a filesystem refuses in one name', () => {
    expect(findRefusedPart('12:30.txt', EXFAT)).toBe("':'");
    expect(findRefusedPart('a\nb', EXFAT)).toBe('a control character');
    expect(findRefusedPart('bad\udcff', EXFAT)).toBe('bytes that are not UTF-8');
    expect(findRefusedPart('café', EXFAT)).toBeUndefined();
    expect(findRefusedPart('café', { nonAscii: true })).toBe('characters outside ASCII');
    expect(findRefusedPart('a:b', {})).toBeUndefined();
  });
  it('a path: its own name refused, or a folder above it', () => {
    expect(findRefusedName('docs/a:b', EXFAT)).toEqual({ what: "':'" });
    expect(findRefusedName('docs/a:b/c.txt', EXFAT)).toBe('under');
    expect(findRefusedName('docs/c.txt', EXFAT)).toBeUndefined();
  });
});

describe('planning with a machine whose filesystem refuses some names (exFAT)', () => {
  it('a file and a folder named with a colon: conflicts naming the machine and the character; what is under the folder left alone; the rest goes', () => {
    const snapshot = snap({
      self: 'here',
      machines: {
        here: { docs: dir(), 'docs/12:30.txt': f(100), 'docs/ok.txt': f(200), 'docs/a:b': dir(), 'docs/a:b/c.txt': f(300) },
        m1: { docs: dir() },
        usb: { docs: dir() },
      },
    });
    const plan = buildPlan(input(snapshot, new Map(), { refusedNames: { usb: EXFAT } }));
    expect(plan.conflicts.map((c) => [c.path, c.reason])).toEqual([
      ['docs/12:30.txt', "the name cannot be written on usb: its filesystem refuses ':'"],
      ['docs/a:b', "the name cannot be written on usb: its filesystem refuses ':'"],
    ]);
    expect(plan.steps.map((s) => [s.path, s.to])).toEqual([['docs/ok.txt', 'm1'], ['docs/ok.txt', 'usb']]);
    // Without it, all of them would be pushed there, and rsync fail on them at every apply.
    const blind = buildPlan(input(snapshot));
    expect(blind.steps.filter((s) => s.to === 'usb').map((s) => s.path)).toEqual(['docs/12:30.txt', 'docs/a:b', 'docs/a:b/c.txt', 'docs/ok.txt']);
  });
  it('names it can hold are planned as usual', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(), 'docs/café.txt': f(100) }, usb: { docs: dir() } } });
    const plan = buildPlan(input(snapshot, new Map(), { refusedNames: { usb: EXFAT } }));
    expect(plan.conflicts).toEqual([]);
    expect(plan.steps.map((s) => s.path)).toEqual(['docs/café.txt']);
  });
});
