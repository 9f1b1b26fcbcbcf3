import { describe, expect, it } from 'vitest';
import { buildMachineExcludes } from '../../src/config/excludes.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import type { Plan, Step } from '../../src/types.js';
import { baseOf, dir, f, input, snap, type Entries, type MachineSpec } from './builder.js';

// machines.NAME.exclude: a machine whose own patterns cover a path takes no part in it — it is
// neither a source, a target nor a deletion there, and nothing is owed to it.

const showStep = (s: Step): string => `${s.action} ${s.path} ${s.from}>${s.to}`;

/** c excludes `private/` (folders) and `*.tmp`; d (when present) excludes `/x`. */
const EXCLUDES = buildMachineExcludes({
  paths: ['docs'],
  machines: [{ name: 'a' }, { name: 'b' }, { name: 'c', exclude: ['private/', '*.tmp'] }, { name: 'd', exclude: ['/x'] }],
});

function plan(machines: Record<string, MachineSpec>, base: Record<string, Entries> = {}, options = {}, self = 'a'): Plan {
  return buildPlan({ ...input(snap({ self, machines }), baseOf(base), options), excludedOn: EXCLUDES });
}

describe('buildPlan with machines\' own excludes', () => {
  it('pushes to the others only; a machine that excludes the path is never a target', () => {
    const p = plan({ a: { 'docs/x': f(100), 'docs/y.tmp': f(100) }, b: {}, c: {} });
    expect(p.steps.map(showStep)).toEqual(['push docs/x a>b', 'push docs/x a>c', 'push docs/y.tmp a>b']);
  });

  it('never takes a newer copy from a machine that excludes the path, nor counts it in a conflict', () => {
    const p = plan({ a: { 'docs/y.tmp': f(100) }, b: { 'docs/y.tmp': f(100) }, c: { 'docs/y.tmp': f(900, 99) } });
    expect(p.steps).toEqual([]);
    expect(p.conflicts).toEqual([]);
    const q = plan({ a: {}, b: { 'docs/y.tmp': f(100) }, c: { 'docs/y.tmp': f(900, 99) } });
    expect(q.steps.map(showStep)).toEqual(['pull docs/y.tmp b>a']);
  });

  it('is no deletion where the excluding machine no longer lists a path its base had', () => {
    const held = { 'docs/private': dir(), 'docs/private/p': f(100) };
    const p = plan({ a: held, b: held, c: {} }, { a: held, b: held, c: held }, { propagateDeletes: true });
    expect(p.deletions).toEqual([]);
    expect(p.steps).toEqual([]);
  });

  it('leaves what lies under an excluded folder alone there, the folder too', () => {
    const p = plan({ a: { 'docs/private': dir(), 'docs/private/p': f(100), 'docs/sub/private': f(100) }, b: {}, c: {} });
    expect(p.steps.map(showStep)).toEqual([
      'push docs/private a>b',
      'push docs/private/p a>b',
      // A file named private: the pattern is for folders only.
      'push docs/sub/private a>b',
      'push docs/sub/private a>c',
    ]);
  });

  it('owes nothing to an offline machine that excludes the path', () => {
    const p = plan({ a: { 'docs/x': f(100), 'docs/y': f(100) }, b: { 'docs/x': f(100), 'docs/y': f(100) }, c: { 'docs/x': f(100), 'docs/y': f(100) }, d: 'offline' });
    expect(p.deferred.map((d) => `${d.machine} ${d.path}`)).toEqual(['d docs/y']);
  });

  it('leaves a path excluded on self alone everywhere (blat syncs through self), a conflict when the others differ', () => {
    const p = plan({ a: {}, b: { 'docs/x': f(100) }, c: {}, d: { 'docs/x': f(50) } }, {}, {}, 'd');
    expect(p.steps).toEqual([]);
    expect(p.conflicts.map((c) => `${c.path}: ${c.reason}: ${c.versions.map((v) => v.machines.join(',')).join(' | ')}`)).toEqual([
      'docs/x: excluded on d (self), through which blat syncs: the others differ: a,c | b',
    ]);
    const alike = plan({ a: { 'docs/x': f(100) }, b: { 'docs/x': f(100) }, c: { 'docs/x': f(100) }, d: {} }, {}, {}, 'd');
    expect(alike.steps).toEqual([]);
    expect(alike.conflicts).toEqual([]);
  });

  it('changes nothing when no machine has excludes of its own', () => {
    expect(buildMachineExcludes({ paths: ['docs'], machines: [{ name: 'a' }, { name: 'b', exclude: [] }] })).toBeUndefined();
  });
});
