import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { buildInSyncPlan } from '../../src/plan/inSyncPlan.js';
import { countIdenticalPaths, isIdenticalSnapshot, isUniformSnapshot } from '../../src/plan/uniform.js';
import type { Base, PlanOptions, Snapshot } from '../../src/types.js';
import { baseOf, dir, f, input, link, prefer, snap } from './builder.js';

// buildInSyncPlan must make the very plan buildPlan makes of a uniform snapshot with no
// machine offline, given buildPlan's in-sync count: it stands in for buildPlan when the
// machines answered "same" and no entries were read.

const tree = { docs: dir(1000), 'docs/x': f(100.25), 'docs/sub': dir(1001), 'docs/sub/y z': f(7, 3, 0o600), 'docs/link': link('../a b') };

const cases: [string, Snapshot, Base, Partial<PlanOptions>, number][] = [
  [
    'two machines and an outofuse one, folders, files and a symlink; a base with other versions and a gone path',
    snap({ self: 'a', machines: { a: tree, c: 'outofuse', b: { ...tree } }, digest: 'digest-1' }),
    baseOf({ a: { 'docs/x': f(50), 'docs/gone': f(1) }, b: { 'docs/gone': f(1) }, c: { 'docs/other': f(2) } }),
    {},
    5,
  ],
  [
    'self not first, deletions propagated, newest preferred, targets',
    snap({ self: 'b', machines: { a: tree, b: tree, c: tree, d: 'outofuse' }, paths: ['docs', 'notes'], digest: 'digest-2' }),
    baseOf({ a: { 'notes/n': f(3) }, b: { 'notes/n': f(3) }, c: {} }),
    { propagateDeletes: true, prefer: prefer.newest, targets: ['docs/sub', 'notes'] },
    5,
  ],
  [
    'versions alike within the window but not identical (mtime 0.5 s apart, modes, folder mtimes)',
    snap({ self: 'a', machines: { a: tree, b: { ...tree, 'docs/x': f(100.75), docs: dir(999), 'docs/link': link('../a b', 5) } }, digest: 'digest-3' }),
    baseOf({}),
    { prefer: prefer.machine('b'), modifyWindow: 1, ignorePerms: ['b'] },
    5,
  ],
  ['one machine alone', snap({ self: 'a', machines: { z: 'outofuse', a: tree } }), baseOf({ a: { 'docs/old': f(1) } }), {}, 5],
  ['nothing anywhere', snap({ self: 'a', machines: { a: {}, b: {} } }), baseOf({ a: { 'docs/x': f(1) }, b: { 'docs/x': f(1) } }), { propagateDeletes: true }, 0],
];

describe('buildInSyncPlan', () => {
  it.each(cases)('makes the plan buildPlan makes: %s', (_label, snapshot, base, options, inSync) => {
    const planInput = input(snapshot, base, options);
    expect(isUniformSnapshot(snapshot, planInput.options)).toBe(true);
    const full = buildPlan(planInput);
    expect(full.inSync).toBe(inSync);
    expect(full.steps).toEqual([]);
    const fast = buildInSyncPlan({
      configDigest: planInput.configDigest,
      self: snapshot.self,
      snapshotDigest: snapshot.digest,
      machines: snapshot.machines,
      targets: planInput.options.targets,
      inSync: full.inSync,
      nowMs: planInput.nowMs,
    });
    expect(fast).toStrictEqual(full);
    expect(Object.isFrozen(fast)).toBe(true);
    expect(Object.isFrozen(fast.steps)).toBe(true);
    expect(Object.isFrozen(fast.machines)).toBe(true);
  });

  const identical = cases.filter(([, snapshot]) => isIdenticalSnapshot(snapshot));
  it('has identical snapshots among its cases', () => expect(identical.length).toBe(4));
  it.each(identical)('counts, on an identical snapshot, the paths of one machine as buildPlan does: %s', (_label, snapshot, base, options) => {
    expect(buildPlan(input(snapshot, base, options)).inSync).toBe(countIdenticalPaths(snapshot));
  });

  it('copies machines and targets rather than keeping the caller\'s arrays', () => {
    const targets = ['docs'];
    const snapshot = snap({ self: 'a', machines: { a: tree } });
    const machines = [...snapshot.machines];
    const plan = buildInSyncPlan({ configDigest: 'c', self: 'a', snapshotDigest: 'd', machines, targets, inSync: 1, nowMs: 5 });
    targets.push('more');
    machines.pop();
    expect(plan.targets).toEqual(['docs']);
    expect(plan.machines).toEqual(snapshot.machines);
  });

  it('refuses a snapshot with a machine offline', () => {
    const snapshot = snap({ self: 'a', machines: { a: tree, b: 'offline', c: 'outofuse' } });
    expect(() =>
      buildInSyncPlan({ configDigest: 'c', self: 'a', snapshotDigest: snapshot.digest, machines: snapshot.machines, targets: [], inSync: 5, nowMs: 1 }),
    ).toThrow('buildInSyncPlan: a machine is offline');
  });
});
