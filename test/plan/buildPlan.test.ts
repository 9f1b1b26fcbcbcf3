import { describe, it, expect } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { BlatError } from '../../src/errors.js';
import { LayeredEntries } from '../../src/layeredEntries.js';
import type { Base, Conflict, Deferred, Deletion, Entry, Plan, PlanOptions, Step } from '../../src/types.js';
import { baseOf, dir, f, input, link, prefer, snap, type Entries, type MachineSpec } from './builder.js';

const X = 'docs/x';

const showStep = (s: Step): string => `${s.action} ${s.path} ${s.from}>${s.to}`;
const showDeferred = (d: Deferred): string => `${d.machine} ${d.path} (${d.reason})`;
const showConflict = (c: Conflict): string => `${c.path}: ${c.reason}`;
const showDeletion = (d: Deletion): string =>
  `${d.path} deleted on ${d.deletedOn.join(',')}; held on ${d.heldOn.join(',')}; ${d.propagated ? 'propagated' : 'held'}`;

interface Case {
  readonly name: string;
  readonly self?: string;
  readonly machines: Readonly<Record<string, MachineSpec>>;
  readonly base?: Readonly<Record<string, Entries>>;
  readonly options?: Partial<PlanOptions>;
  readonly steps?: readonly string[];
  readonly deferred?: readonly string[];
  readonly conflicts?: readonly string[];
  readonly deletions?: readonly string[];
  readonly inSync?: number;
}

function run(c: Case): Plan {
  return buildPlan(input(snap({ self: c.self ?? 'a', machines: c.machines }), baseOf(c.base ?? {}), c.options ?? {}));
}

const synced = (e: Entry): Entries => ({ [X]: e });

const cases: Case[] = [
  // 1. in sync
  { name: 'in sync: every machine holds the same file', machines: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) }, inSync: 1 },
  { name: 'in sync: mtimes within the window, same size', machines: { a: synced(f(100)), b: synced(f(100.5)), c: synced(f(99.6)) }, inSync: 1 },
  { name: 'in sync: dirs are alike whatever their mtimes', machines: { a: synced(dir(1)), b: synced(dir(500)) }, inSync: 1 },
  { name: 'in sync: symlinks with one target are alike', machines: { a: synced(link('t', 1)), b: synced(link('t', 99)) }, inSync: 1 },
  { name: 'in sync: absent everywhere is not counted', machines: { a: {}, b: {} }, base: { a: synced(f(100)), b: synced(f(100)) }, inSync: 0 },

  // 2. no base: newest wins
  { name: 'newest: self newest pushes only', machines: { a: synced(f(200)), b: synced(f(100)), c: synced(f(150)) }, steps: ['push docs/x a>b', 'push docs/x a>c'], inSync: 0 },
  { name: 'newest: self stale pulls, then pushes', machines: { a: synced(f(100)), b: synced(f(200)), c: synced(f(100)) }, steps: ['pull docs/x b>a', 'push docs/x a>c'] },
  { name: 'newest: pull from the first holder in config order', machines: { a: synced(f(100)), c: synced(f(200)), b: synced(f(200)) }, steps: ['pull docs/x c>a'] },
  { name: 'newest: absent on one machine', machines: { a: synced(f(100)), b: {}, c: synced(f(100)) }, steps: ['push docs/x a>b'] },
  { name: 'newest: absent on self', machines: { a: {}, b: synced(f(100)), c: {} }, steps: ['pull docs/x b>a', 'push docs/x a>c'] },
  { name: 'newest: self need not be first in config order', self: 'c', machines: { a: synced(f(300)), b: synced(f(100)), c: synced(f(100)) }, steps: ['pull docs/x a>c', 'push docs/x c>b'] },
  { name: 'newest: dir missing on a machine is pushed', machines: { a: synced(dir()), b: {} }, steps: ['push docs/x a>b'] },

  // offline and outofuse
  { name: 'offline: stale offline machine is owed the winner', machines: { a: synced(f(200)), b: synced(f(100)), c: 'offline' }, steps: ['push docs/x a>b'], deferred: ['c docs/x (timeout)'] },
  { name: 'offline: the reason is carried', machines: { a: synced(f(200)), b: synced(f(100)), c: { offline: 'host key changed' } }, steps: ['push docs/x a>b'], deferred: ['c docs/x (host key changed)'] },
  {
    name: 'offline: nothing owed when the base shows it already holds the winner',
    machines: { a: synced(f(200)), b: synced(f(100)), c: 'offline' },
    base: { a: synced(f(200)), b: synced(f(100)), c: synced(f(200.3)) },
    steps: ['push docs/x a>b'],
  },
  {
    name: 'offline: owed when its base holds an older version',
    machines: { a: synced(f(200)), b: synced(f(100)), c: 'offline' },
    base: { a: synced(f(200)), b: synced(f(100)), c: synced(f(100)) },
    steps: ['push docs/x a>b'],
    deferred: ['c docs/x (timeout)'],
  },
  { name: 'offline: owed even when online machines agree, unless its base shows it', machines: { a: synced(f(200)), b: synced(f(200)), c: 'offline' }, inSync: 1, deferred: ['c docs/x (timeout)'] },
  { name: 'offline: nothing owed when online machines agree and its base holds that version', machines: { a: synced(f(200)), b: synced(f(200)), c: 'offline' }, base: { c: synced(f(200)) }, inSync: 1 },
  {
    name: 'outofuse: left out entirely, even with a base',
    machines: { a: synced(f(200)), b: synced(f(100)), c: 'outofuse' },
    base: { c: synced(f(50)) },
    steps: ['push docs/x a>b'],
  },

  // modify window
  { name: 'window: 0.5 s apart, same size = same version', machines: { a: synced(f(100, 5)), b: synced(f(100.5, 5)) }, inSync: 1 },
  { name: 'window: exactly 1 s apart, same size = same version', machines: { a: synced(f(100, 5)), b: synced(f(101, 5)) }, inSync: 1 },
  { name: 'window: 0.5 s apart, different size = conflict', machines: { a: synced(f(100, 5)), b: synced(f(100.5, 6)) }, conflicts: ['docs/x: equal mtime, different size'] },
  { name: 'window: 2 s apart, different size = newest wins', machines: { a: synced(f(100, 5)), b: synced(f(102, 6)) }, steps: ['pull docs/x b>a'] },
  { name: 'window: option honoured (0 s)', machines: { a: synced(f(100.2, 5)), b: synced(f(100.5, 5)) }, options: { modifyWindow: 0 }, steps: ['pull docs/x b>a'] },
  {
    name: 'window: a copy exactly the window away from its base is unchanged',
    machines: { a: synced(f(101)), b: synced(f(300, 20)) },
    base: { a: synced(f(100)), b: synced(f(100)) },
    steps: ['pull docs/x b>a'],
  },
  { name: 'window: chained same-size copies are one version', machines: { a: synced(f(100)), b: synced(f(100.9)), c: synced(f(101.8)) }, inSync: 1 },

  // types and symlinks
  { name: 'types: dir vs file is a conflict however far apart', machines: { a: synced(dir(100)), b: synced(f(500)) }, conflicts: ['docs/x: different types'] },
  { name: 'types: file vs symlink within the window is a conflict', machines: { a: synced(f(100)), b: synced(link('t', 100.2)) }, conflicts: ['docs/x: different types'] },
  { name: 'types: file vs symlink far apart, newest wins', machines: { a: synced(f(100)), b: synced(link('t', 300)) }, steps: ['pull docs/x b>a'] },
  { name: 'symlinks: different targets, newest wins', machines: { a: synced(link('t1', 200)), b: synced(link('t2', 100)) }, steps: ['push docs/x a>b'] },
  { name: 'symlinks: different targets within the window conflict', machines: { a: synced(link('t1', 100)), b: synced(link('t2', 100.4)) }, conflicts: ['docs/x: equal mtime, different target'] },

  // 3. base known
  {
    name: 'base: the one changed version wins',
    machines: { a: synced(f(100)), b: synced(f(300, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'base: a change on self is pushed to the unchanged',
    machines: { a: synced(f(300, 20)), b: synced(f(100)), c: {} },
    base: { a: synced(f(100)), b: synced(f(100)) },
    steps: ['push docs/x a>b', 'push docs/x a>c'],
  },
  {
    name: 'base: a change dated before the unchanged copies (a restored backup) is a conflict (b)',
    machines: { a: synced(f(100)), b: synced(f(90, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    conflicts: ['docs/x: changed on b, but a holds a newer version'],
  },
  {
    name: 'base: a change dated within the window of the unchanged copies wins',
    machines: { a: synced(f(100)), b: synced(f(99.5, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'base: a change older than an unchanged machine\'s version is a conflict (b)',
    machines: { a: synced(f(500, 7)), b: synced(f(300, 20)), c: synced(f(500, 7)) },
    base: { a: synced(f(500, 7)), b: synced(f(500, 7)), c: synced(f(500, 7)) },
    conflicts: ['docs/x: changed on b, but a holds a newer version'],
  },
  {
    name: 'base: a change older than an unbased copy is a conflict (b)',
    machines: { a: synced(f(100)), b: synced(f(300, 20)), c: synced(f(500, 7)) },
    base: { a: synced(f(100)), b: synced(f(100)) },
    conflicts: ['docs/x: changed on b, but c holds a newer version'],
  },
  {
    name: 'base: a change newer than an unbased copy wins over it',
    machines: { a: synced(f(100)), b: synced(f(300, 20)), c: synced(f(200, 7)) },
    base: { a: synced(f(100)), b: synced(f(100)) },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'base: two machines changed = conflict',
    machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    conflicts: ['docs/x: changed on a and b'],
  },
  {
    name: 'base: three machines changed = conflict naming all',
    machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: synced(f(500, 40)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    conflicts: ['docs/x: changed on a, b and c'],
  },
  {
    name: 'base: two machines changed to the same version = it wins',
    machines: { a: synced(f(300, 20)), b: synced(f(300.2, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    steps: ['push docs/x a>c'],
  },
  {
    name: 'base: changer edited an older copy than an unchanged machine holds = conflict (c)',
    machines: { a: synced(f(150, 20)), b: synced(f(120, 9)), c: synced(f(120, 9)) },
    base: { a: synced(f(100)), b: synced(f(120, 9)), c: synced(f(120, 9)) },
    conflicts: ["docs/x: changed on a from an older copy than b's"],
  },
  {
    name: 'base: changer edited the synced copy = it wins',
    machines: { a: synced(f(150, 20)), b: synced(f(120, 9)), c: synced(f(120, 9)) },
    base: { a: synced(f(120, 9)), b: synced(f(120, 9)), c: synced(f(120, 9)) },
    steps: ['push docs/x a>b', 'push docs/x a>c'],
  },
  {
    name: 'base: leftovers without change or deletion, newest wins',
    machines: { a: synced(f(100)), b: synced(f(200)), c: {} },
    base: { a: synced(f(100)), b: synced(f(200)) },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'base: an unbased newer copy wins as leftover',
    machines: { a: synced(f(100)), b: synced(f(100)), c: synced(f(300, 9)) },
    base: { a: synced(f(100)), b: synced(f(100)) },
    steps: ['pull docs/x c>a', 'push docs/x a>b'],
  },
  {
    name: 'base: leftovers with equal mtimes still conflict',
    machines: { a: synced(f(100, 5)), b: synced(f(100.2, 6)) },
    base: { a: synced(f(100, 5)), b: synced(f(100.2, 6)) },
    conflicts: ['docs/x: equal mtime, different size'],
  },

  // 4. prefer
  {
    name: 'prefer newest resolves changed on a and b',
    machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.newest },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'prefer newest leaves a tie within the window a conflict',
    machines: { a: synced(f(300, 20)), b: synced(f(300.5, 30)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.newest },
    conflicts: ['docs/x: changed on a and b'],
  },
  {
    name: 'prefer machine: its version wins even when older',
    machines: { a: synced(f(400, 20)), b: synced(f(300, 30)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.machine('b') },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'prefer machine: resolves an equal-mtime conflict',
    machines: { a: synced(f(100, 5)), b: synced(f(100.2, 6)) },
    options: { prefer: prefer.machine('a') },
    steps: ['push docs/x a>b'],
  },
  {
    name: 'prefer machine: still a conflict when it lacks the path',
    machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: {} },
    base: { a: synced(f(100)), b: synced(f(100)) },
    options: { prefer: prefer.machine('c') },
    conflicts: ['docs/x: changed on a and b'],
  },
  {
    name: 'prefer machine: still a conflict when it is offline',
    machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: 'offline' },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.machine('c') },
    conflicts: ['docs/x: changed on a and b'],
  },
  {
    name: 'prefer newest resolves dir vs file far apart',
    machines: { a: synced(dir(100)), b: synced(f(500)) },
    options: { prefer: prefer.newest },
    steps: ['pull docs/x b>a'],
  },
  {
    name: 'prefer newest resolves modify/delete in favour of the change',
    machines: { a: {}, b: synced(f(300, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.newest },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'prefer: a resolved conflict owes offline machines',
    machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: 'offline' },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.newest },
    steps: ['pull docs/x b>a'],
    deferred: ['c docs/x (timeout)'],
  },

  // deletions
  {
    name: 'deletion: held by default',
    machines: { a: {}, b: synced(f(100)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    deletions: ['docs/x deleted on a; held on b,c; held'],
  },
  {
    name: 'deletion: held by default, offline holders from the base listed',
    machines: { a: {}, b: synced(f(100)), d: 'offline', e: 'offline' },
    base: { a: synced(f(100)), b: synced(f(100)), d: synced(f(100)) },
    deletions: ['docs/x deleted on a; held on b,d; held'],
  },
  {
    name: 'deletion: propagated as trash steps to online holders only',
    machines: { a: {}, b: synced(f(100)), c: synced(f(100)), d: 'offline' },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)), d: synced(f(100)) },
    options: { propagateDeletes: true },
    steps: ['trash docs/x a>b', 'trash docs/x a>c'],
    deletions: ['docs/x deleted on a; held on b,c,d; propagated'],
  },
  {
    name: 'deletion: deleted on two machines, trash comes from the first',
    machines: { a: synced(f(100)), b: {}, c: {} },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { propagateDeletes: true },
    steps: ['trash docs/x b>a'],
    deletions: ['docs/x deleted on b,c; held on a; propagated'],
  },
  {
    name: 'deletion: an unbased holder keeps it held even when propagating',
    machines: { a: {}, b: synced(f(100)), c: {} },
    base: { a: synced(f(100)) },
    options: { propagateDeletes: true },
    deletions: ['docs/x deleted on a; held on b; held'],
  },
  {
    name: 'deletion: modify/delete is a conflict',
    machines: { a: {}, b: synced(f(300, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    conflicts: ['docs/x: changed on b, deleted on a'],
  },
  {
    name: 'deletion: modify/delete is a conflict when propagating too',
    machines: { a: {}, b: synced(f(300, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { propagateDeletes: true },
    conflicts: ['docs/x: changed on b, deleted on a'],
  },
  {
    name: 'prefer the machine that deleted it: the deletion wins over a change (modify/delete)',
    machines: { a: {}, b: synced(f(300, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.machine('a') },
    steps: ['trash docs/x a>b', 'trash docs/x a>c'],
    deletions: ['docs/x deleted on a; held on b,c; propagated'],
  },
  {
    name: 'prefer the machine that deleted it: offline holders stay listed, owed nothing',
    machines: { a: synced(f(300, 20)), b: {}, c: 'offline' },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.machine('b') },
    steps: ['trash docs/x b>a'],
    deletions: ['docs/x deleted on b; held on a,c; propagated'],
  },
  {
    name: 'prefer the machine that changed it over one that deleted it: the change wins',
    machines: { a: {}, b: synced(f(300, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { prefer: prefer.machine('b') },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'prefer a machine that never held it (no base entry): still a conflict, nothing trashed',
    machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: {} },
    base: { a: synced(f(100)), b: synced(f(100)) },
    options: { prefer: prefer.machine('c') },
    conflicts: ['docs/x: changed on a and b'],
  },
  {
    name: 'restore: a held deletion is copied back to where it was deleted',
    machines: { a: {}, b: synced(f(100)), c: {}, d: 'offline' },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)), d: synced(f(100)) },
    options: { restoreDeletions: true },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'restore: the newest version held comes back',
    machines: { a: synced(f(100)), b: synced(f(200, 20)), c: {} },
    base: { a: synced(f(100)), b: synced(f(200, 20)), c: synced(f(100)) },
    options: { restoreDeletions: true },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'restore: a changed copy against a deletion stays a conflict',
    machines: { a: {}, b: synced(f(300, 20)), c: synced(f(100)) },
    base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) },
    options: { restoreDeletions: true },
    conflicts: ['docs/x: changed on b, deleted on a'],
  },
  {
    name: 'deletion: a deleted dir is held like a file',
    machines: { a: {}, b: synced(dir()) },
    base: { a: synced(dir()), b: synced(dir()) },
    deletions: ['docs/x deleted on a; held on b; held'],
  },
];

describe('buildPlan rules', () => {
  it.each(cases)('$name', (c) => {
    const plan = run(c);
    expect(plan.steps.map(showStep)).toEqual(c.steps ?? []);
    expect(plan.deferred.map(showDeferred)).toEqual(c.deferred ?? []);
    expect(plan.conflicts.map(showConflict)).toEqual(c.conflicts ?? []);
    expect(plan.deletions.map(showDeletion)).toEqual(c.deletions ?? []);
    if (c.inSync !== undefined) expect(plan.inSync).toBe(c.inSync);
  });
});

describe('buildPlan step contents', () => {
  it('pull carries the holder and self entries; pushes carry the pulled entry', () => {
    const old = f(100, 5);
    const win = f(200, 9);
    const plan = buildPlan(input(snap({ self: 'a', machines: { a: synced(old), b: synced(win), c: {}, d: 'offline' } })));
    expect(plan.steps).toEqual([
      { action: 'pull', path: X, from: 'b', to: 'a', source: win, target: old, replaces: 'older' },
      { action: 'push', path: X, from: 'a', to: 'c', source: win, target: null },
    ]);
    expect(plan.deferred).toEqual([{ path: X, machine: 'd', reason: 'timeout', source: win }]);
  });

  it('pushes from self carry self\'s entry and each target\'s entry', () => {
    const mine = f(200.4, 9);
    const theirs = f(100, 5);
    const plan = buildPlan(input(snap({ self: 'a', machines: { a: synced(mine), b: synced(f(200, 9)), c: synced(theirs) } })));
    expect(plan.steps).toEqual([{ action: 'push', path: X, from: 'a', to: 'c', source: mine, target: theirs, replaces: 'older' }]);
  });

  it('trash steps have no source and expect the holder\'s entry', () => {
    const held = f(100, 5);
    const plan = buildPlan(
      input(snap({ self: 'a', machines: { a: {}, b: synced(held) } }), baseOf({ a: synced(held), b: synced(held) }), { propagateDeletes: true }),
    );
    expect(plan.steps).toEqual([{ action: 'trash', path: X, from: 'a', to: 'b', source: null, target: held, replaces: 'older' }]);
  });

  it('a conflict lists every version with who changed it', () => {
    const plan = run({
      name: '',
      machines: { a: synced(f(300, 20)), b: synced(f(400, 30)), c: synced(f(100)), d: {}, e: synced(f(300.5, 20)) },
      base: { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)), d: synced(f(100)), e: synced(f(300.5, 20)) },
    });
    expect(plan.conflicts).toEqual([
      {
        path: X,
        reason: 'changed on a and b, deleted on d',
        versions: [
          { machines: ['a'], entry: f(300, 20), changed: true },
          { machines: ['b'], entry: f(400, 30), changed: true },
          { machines: ['c'], entry: f(100), changed: false },
          { machines: ['d'], entry: null, changed: true },
          { machines: ['e'], entry: f(300.5, 20), changed: false },
        ],
      },
    ]);
  });

  it('a conflict without a base marks no version as changed and lists absent machines', () => {
    const plan = run({ name: '', machines: { a: synced(f(100, 5)), b: synced(f(100, 6)), c: {} } });
    expect(plan.conflicts).toEqual([
      {
        path: X,
        reason: 'equal mtime, different size',
        versions: [
          { machines: ['a'], entry: f(100, 5), changed: false },
          { machines: ['b'], entry: f(100, 6), changed: false },
          { machines: ['c'], entry: null, changed: false },
        ],
      },
    ]);
  });
});

/** A multi-path scenario with machines declared out of alphabetical order. */
function mixed(): Plan {
  const paths = ['docs/b', 'docs/a', 'docs/a b', 'docs/a/x', 'docs/B', 'docs/-n', 'docs/c', 'docs/d', 'docs/e'];
  const z: Record<string, Entry> = {};
  const m: Record<string, Entry> = {};
  const a: Record<string, Entry> = {};
  for (const p of paths) {
    z[p] = f(100);
    m[p] = f(100);
    a[p] = f(100);
  }
  // self m stale for docs/b and docs/a b (pull), newest for docs/B (pushes)
  z['docs/b'] = f(200);
  a['docs/a b'] = f(200);
  m['docs/B'] = f(300);
  delete a['docs/-n'];
  // conflicts
  z['docs/c'] = f(100.2, 99);
  a['docs/e'] = dir();
  // deletion on z of docs/d, propagated
  delete z['docs/d'];
  const base = { z: { 'docs/d': f(100) }, m: { 'docs/d': f(100) }, a: { 'docs/d': f(100) } };
  return buildPlan(
    input(snap({ self: 'm', machines: { z, q: 'offline', m, a, o: 'outofuse', p: { offline: 'refused' } } }), baseOf(base), {
      propagateDeletes: true,
    }),
  );
}

describe('buildPlan ordering', () => {
  it('puts pulls first, then pushes and trash by path and config order of the target', () => {
    expect(mixed().steps.map(showStep)).toEqual([
      'pull docs/a b a>m',
      'pull docs/b z>m',
      'push docs/-n m>a',
      'push docs/B m>z',
      'push docs/B m>a',
      'push docs/a b m>z',
      'push docs/b m>a',
      'trash docs/d z>m',
      'trash docs/d z>a',
    ]);
  });

  it('sorts deferred by machine in config order, then path', () => {
    expect(mixed().deferred.map(showDeferred)).toEqual([
      'q docs/-n (timeout)',
      'q docs/B (timeout)',
      'q docs/a (timeout)',
      'q docs/a b (timeout)',
      'q docs/a/x (timeout)',
      'q docs/b (timeout)',
      'p docs/-n (refused)',
      'p docs/B (refused)',
      'p docs/a (refused)',
      'p docs/a b (refused)',
      'p docs/a/x (refused)',
      'p docs/b (refused)',
    ]);
  });

  it('sorts conflicts and deletions by path, counts the rest as in sync', () => {
    const plan = mixed();
    expect(plan.conflicts.map(showConflict)).toEqual(['docs/c: equal mtime, different size', 'docs/e: different types']);
    expect(plan.deletions.map(showDeletion)).toEqual(['docs/d deleted on z; held on m,a; propagated']);
    expect(plan.inSync).toBe(2);
  });

  it('satisfies the Plan invariants', () => {
    const plan = mixed();
    const firstLater = plan.steps.findIndex((s) => s.action !== 'pull');
    expect(plan.steps.slice(firstLater).every((s) => s.action !== 'pull')).toBe(true);
    const keys = plan.steps.map((s) => `${s.action}\0${s.path}\0${s.to}`);
    expect(new Set(keys).size).toBe(keys.length);
    const stepPaths = new Set(plan.steps.map((s) => s.path));
    for (const c of plan.conflicts) expect(stepPaths.has(c.path)).toBe(false);
    for (const d of plan.deletions) if (!d.propagated) expect(stepPaths.has(d.path)).toBe(false);
    expect(JSON.stringify({ ...plan, machines: [] })).not.toContain('"o"');
  });
});

describe('buildPlan output', () => {
  it('carries its provenance and targets', () => {
    const s = snap({ self: 'a', machines: { a: synced(f(1)), b: 'outofuse' }, digest: 'sd1' });
    const plan = buildPlan({ ...input(s, new Map(), { targets: ['docs/x'] }), configDigest: 'cd1', nowMs: 42 });
    expect(plan).toMatchObject({ formatVersion: 1, self: 'a', configDigest: 'cd1', snapshotDigest: 'sd1', createdAtMs: 42, targets: ['docs/x'] });
    expect(plan.machines).toEqual([
      { name: 'a', status: 'online', clockOffsetMs: 0 },
      { name: 'b', status: 'outofuse' },
    ]);
  });

  it('is frozen throughout', () => {
    const plan = mixed();
    expect(Object.isFrozen(plan)).toBe(true);
    for (const arr of [plan.steps, plan.deferred, plan.conflicts, plan.deletions, plan.targets, plan.machines]) {
      expect(Object.isFrozen(arr)).toBe(true);
    }
    for (const s of plan.steps) expect(Object.isFrozen(s)).toBe(true);
    for (const d of plan.deferred) expect(Object.isFrozen(d)).toBe(true);
    for (const d of plan.deletions) expect(Object.isFrozen(d) && Object.isFrozen(d.heldOn) && Object.isFrozen(d.deletedOn)).toBe(true);
    for (const c of plan.conflicts) {
      expect(Object.isFrozen(c) && Object.isFrozen(c.versions)).toBe(true);
      for (const v of c.versions) expect(Object.isFrozen(v) && Object.isFrozen(v.machines)).toBe(true);
    }
    expect(() => (plan.steps as Step[]).push(plan.steps[0])).toThrow(TypeError);
  });

  it('does not freeze the caller\'s arrays', () => {
    const targets = ['docs'];
    buildPlan(input(snap({ self: 'a', machines: { a: {} } }), new Map(), { targets }));
    expect(Object.isFrozen(targets)).toBe(false);
  });

  it('is deterministic, whatever the order entries were inserted', () => {
    const forward = { 'docs/1': f(1), 'docs/2': f(2), 'docs/3': f(3, 4) };
    const backward = { 'docs/3': f(3, 4), 'docs/2': f(2), 'docs/1': f(1) };
    const p1 = buildPlan(input(snap({ self: 'a', machines: { a: {}, b: forward, c: backward, d: 'offline' } })));
    const p2 = buildPlan(input(snap({ self: 'a', machines: { a: {}, b: backward, c: forward, d: 'offline' } })));
    const p3 = buildPlan(input(snap({ self: 'a', machines: { a: {}, b: forward, c: backward, d: 'offline' } })));
    expect(p1).toEqual(p2);
    expect(p1).toEqual(p3);
    expect(p1.steps.map(showStep)).toEqual(['pull docs/1 b>a', 'pull docs/2 b>a', 'pull docs/3 b>a']);
  });

  it('ignores base paths outside the scanned paths and plans nothing for paths absent everywhere', () => {
    const s = snap({ self: 'a', machines: { a: { 'docs/x': f(1) }, b: { 'docs/x': f(1) } }, paths: ['docs'] });
    const plan = buildPlan(input(s, baseOf({ a: { 'other/y': f(1), 'docs/gone': f(1) }, b: { 'other/y': f(1) } })));
    expect(plan.steps).toEqual([]);
    expect(plan.deletions).toEqual([]);
    expect(plan.inSync).toBe(1);
  });

  it('refuses a snapshot whose self is not online', () => {
    expect(() => buildPlan(input(snap({ self: 'a', machines: { a: 'offline', b: {} } })))).toThrow(BlatError);
  });
});

describe('buildPlan at scale', () => {
  it('plans 200,000 paths on 3 machines', () => {
    const n = 200_000;
    const a = new Map<string, Entry>();
    const b = new Map<string, Entry>();
    const c = new Map<string, Entry>();
    const same = f(100, 1);
    const newer = f(200, 2);
    let pulls = 0;
    let pushes = 0;
    for (let i = 0; i < n; i++) {
      const p = `docs/d${i % 100}/f${i}`;
      a.set(p, same);
      if (i % 10 !== 0) b.set(p, same);
      c.set(p, i % 7 === 0 ? newer : same);
      if (i % 7 === 0) {
        pulls++;
        pushes++;
      } else if (i % 10 === 0) pushes++;
    }
    const s = snap({ self: 'a', machines: { a: {}, b: {}, c: {} } });
    const snapshot = { ...s, entries: new Map([['a', a], ['b', b], ['c', c]]) };
    const plan = buildPlan(input(snapshot));
    const counts = { pull: 0, push: 0, trash: 0 };
    for (const st of plan.steps) counts[st.action]++;
    expect(counts).toEqual({ pull: pulls, push: pushes, trash: 0 });
    expect(plan.inSync).toBe(n - pushes);
    expect(plan.conflicts).toHaveLength(0);
    for (let i = 1; i < pulls; i++) expect(plan.steps[i - 1].path < plan.steps[i].path).toBe(true);
    expect(plan.steps[pulls].action).toBe('push');
  });
});

describe('buildPlan with a layered base (entries held alike shared by the machines)', () => {
  it('plans exactly as with one plain map per machine', () => {
    // Shared: x (deleted on b since), y (deleted everywhere), z (changed on c); a's own: w (a lost it); b's own: v (new to a and c).
    const shared = new Map<string, Entry>([['docs/x', f(1)], ['docs/y', f(2)], ['docs/z', f(3)], ['docs/u', f(4)]]);
    const layered: Base = new Map<string, ReadonlyMap<string, Entry>>([
      ['a', new LayeredEntries(shared, new Map([['docs/w', f(5)]]))],
      ['b', new LayeredEntries(shared, new Map([['docs/v', f(6)]]))],
      ['c', shared],
    ]);
    const plainBase: Base = new Map([...layered].map(([m, e]) => [m, new Map(e)]));
    const snapshot = snap({
      self: 'a',
      machines: {
        a: { 'docs/x': f(1), 'docs/z': f(3), 'docs/u': f(4), 'docs/new': f(9) },
        b: { 'docs/z': f(3), 'docs/u': f(4), 'docs/v': f(6) },
        c: { 'docs/x': f(1), 'docs/z': f(30, 11), 'docs/u': f(4) },
      },
    });
    const withLayers = buildPlan(input(snapshot, layered));
    const withMaps = buildPlan(input(snapshot, plainBase));
    expect(withLayers).toEqual(withMaps);
    expect(withLayers.deletions.map((d) => d.path)).toEqual(['docs/x']);
    expect(withLayers.steps.map(showStep)).toContain('pull docs/z c>a');
  });
});

describe('buildPlan: a folder that is a symlink or a file on the receiving machine', () => {
  const files = { docs: dir(), 'docs/sub': dir(), 'docs/sub/a': f(100), 'docs/sub/deep/b': f(100), 'docs/sub/deep': dir() };
  it('reports the paths under it as conflicts instead of transferring them (rsync would replace or refuse the link)', () => {
    const plan = buildPlan(input(snap({ self: 'a', machines: { a: files, b: { docs: dir(), 'docs/sub': link('/elsewhere') } } })));
    expect(plan.steps).toEqual([]);
    expect(plan.conflicts.map((c) => `${c.path}: ${c.reason}`)).toEqual([
      'docs/sub: different types',
      'docs/sub/a: docs/sub is a symlink on b, not a folder: blat does not write through or replace it',
      'docs/sub/deep: docs/sub is a symlink on b, not a folder: blat does not write through or replace it',
      'docs/sub/deep/b: docs/sub is a symlink on b, not a folder: blat does not write through or replace it',
    ]);
    expect(plan.conflicts[1].versions).toEqual([
      { machines: ['a'], entry: f(100), changed: false },
      { machines: ['b'], entry: null, changed: false },
    ]);
  });
  it('does the same for a file where a folder should be, and for a pull to self', () => {
    const plan = buildPlan(input(snap({ self: 'b', machines: { a: files, b: { docs: dir(), 'docs/sub': f(50) } } })));
    expect(plan.steps).toEqual([]);
    expect(plan.conflicts.find((c) => c.path === 'docs/sub/a')?.reason).toBe('docs/sub is a file on b, not a folder: blat does not write through or replace it');
  });
  it('transfers normally where the folders are real, or missing (rsync creates them)', () => {
    const plan = buildPlan(input(snap({ self: 'a', machines: { a: files, b: { docs: dir() }, c: {} } })));
    expect(plan.conflicts).toEqual([]);
    expect(plan.steps.filter((s) => s.to === 'b').map((s) => s.path)).toEqual(['docs/sub', 'docs/sub/a', 'docs/sub/deep', 'docs/sub/deep/b']);
    expect(plan.steps.filter((s) => s.to === 'c')).toHaveLength(5);
  });
});

describe('buildPlan: what each step replaces (kept in trash)', () => {
  const replaces = (plan: Plan): string[] => plan.steps.map((s) => `${showStep(s)}: ${s.replaces ?? '-'}`);

  it('an older copy, a version changed since the last sync (a resolved conflict), or nothing', () => {
    const base = { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) };
    const plan = run({ self: 'a', machines: { a: synced(f(100)), b: synced(f(300, 20)), c: synced(f(200, 30)), d: {} }, base: { ...base, d: {} }, options: { prefer: prefer.machine('c') } });
    expect(replaces(plan)).toEqual([`pull ${X} c>a: older`, `push ${X} a>b: changed`, `push ${X} a>d: -`]);
    expect(plan.steps.filter((s) => s.replaces !== undefined)).toHaveLength(2);
  });

  it('without a base, every present copy is older; a folder or an absence replaces nothing', () => {
    const plan = run({ machines: { a: { [X]: f(500), 'docs/l': link('new', 500), 'docs/d': dir(5) }, b: { [X]: f(100), 'docs/l': link('old', 100), 'docs/d': dir(9) }, c: { 'docs/d': dir(1) } } });
    expect(replaces(plan).sort()).toEqual([`push ${X} a>b: older`, `push ${X} a>c: -`, 'push docs/l a>b: older', 'push docs/l a>c: -'].sort());
  });

  it('a propagated deletion keeps each holder’s copy', () => {
    const base = { a: synced(f(100)), b: synced(f(100)), c: synced(f(100)) };
    const plan = run({ machines: { a: {}, b: synced(f(100)), c: synced(f(100)) }, base, options: { propagateDeletes: true } });
    expect(replaces(plan)).toEqual([`trash ${X} a>b: older`, `trash ${X} a>c: older`]);
  });
});
