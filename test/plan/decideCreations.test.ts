// The planner's rules for what the base covers (creations), exact versions, per-machine windows,
// modes, and versions dated in the future.
import { describe, it, expect } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import type { Conflict, Deferred, Entry, Plan, PlanOptions, Step } from '../../src/types.js';
import { baseOf, f, input, prefer, snap, type Entries, type MachineSpec } from './builder.js';

const X = 'docs/x';
const showStep = (s: Step): string => `${s.action} ${s.path} ${s.from}>${s.to}`;
const showDeferred = (d: Deferred): string => `${d.machine} ${d.path}`;
const showConflict = (c: Conflict): string => `${c.path}: ${c.reason}`;
const at = (e: Entry): Entries => ({ [X]: e });
/** builder's nowMs is 1_700_000_000_500 and every clock is self's: past 1_700_000_060.5 s is the future. */
const FUTURE = 1_800_000_000;

interface Case {
  readonly name: string;
  readonly machines: Readonly<Record<string, MachineSpec>>;
  readonly base?: Readonly<Record<string, Entries>>;
  /** machine → sync paths it was last synced for. */
  readonly covered?: Readonly<Record<string, readonly string[]>>;
  readonly options?: Partial<PlanOptions>;
  readonly paths?: readonly string[];
  readonly steps?: readonly string[];
  readonly deferred?: readonly string[];
  readonly conflicts?: readonly string[];
  readonly inSync?: number;
  /** "path machine" of each future warning. */
  readonly future?: readonly string[];
}

function run(c: Case): Plan {
  return buildPlan(input(snap({ self: 'a', machines: c.machines, paths: c.paths }), baseOf(c.base ?? {}, c.covered), c.options ?? {}));
}

const all = { a: ['docs'], b: ['docs'], c: ['docs'] };

const cases: Case[] = [
  // Creations: a machine covered for the path with no base entry there held nothing at the last sync.
  {
    name: 'creation: created on a and b with different contents = conflict (not "newest wins")',
    machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} },
    covered: all,
    conflicts: ['docs/x: created on a and b'],
  },
  {
    name: 'creation: the same without coverage (nothing known) is newest wins, as before',
    machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'creation: one creation wins and goes everywhere',
    machines: { a: {}, b: at(f(300, 6)), c: {} },
    covered: all,
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'creation: the same version created on two machines wins',
    machines: { a: at(f(300, 6)), b: at(f(300, 6)), c: {} },
    covered: all,
    steps: ['push docs/x a>c'],
  },
  {
    name: 'creation: a creation against a version the creator never had (synced while it was away) = conflict',
    machines: { a: at(f(200, 5)), b: at(f(200, 5)), c: at(f(300, 6)) },
    base: { a: at(f(200, 5)), b: at(f(200, 5)) },
    covered: all,
    conflicts: ['docs/x: created on c while a held another version'],
  },
  {
    name: 'creation: prefer newest resolves two creations',
    machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} },
    covered: all,
    options: { prefer: prefer.newest },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'creation: prefer machine resolves two creations',
    machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} },
    covered: all,
    options: { prefer: prefer.machine('a') },
    steps: ['push docs/x a>b', 'push docs/x a>c'],
  },
  {
    name: 'creation: a change on one machine and a creation on another = conflict naming both',
    machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} },
    base: { a: at(f(100, 4)) },
    covered: all,
    conflicts: ['docs/x: changed on a, created on b'],
  },
  {
    name: 'creation: coverage of another sync path does not count',
    machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} },
    covered: { a: ['notes'], b: ['notes'], c: ['notes'] },
    steps: ['pull docs/x b>a', 'push docs/x a>c'],
  },
  {
    name: 'creation: coverage of a parent path counts',
    machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} },
    covered: { a: ['docs/x'], b: ['docs'] },
    conflicts: ['docs/x: created on a and b'],
  },
  {
    name: 'creation: covered for a narrower path than scanned (path arguments) counts only there',
    machines: { a: { 'docs/x': f(200, 5), 'docs/y': f(200, 5) }, b: { 'docs/x': f(300, 6), 'docs/y': f(300, 6) } },
    covered: { a: ['docs/x'], b: ['docs/x'] },
    steps: ['pull docs/y b>a'],
    conflicts: ['docs/x: created on a and b'],
  },
  {
    name: 'creation: an uncovered newer copy still wins over a covered absence',
    machines: { a: {}, b: at(f(300, 6)) },
    covered: { a: ['docs'] },
    steps: ['pull docs/x b>a'],
  },
  {
    name: 'creation: an offline machine covered for it is owed the one creation',
    machines: { a: at(f(300, 6)), b: {}, c: 'offline' },
    covered: all,
    steps: ['push docs/x a>b'],
    deferred: ['c docs/x'],
  },

  // Exact versions: window 0 (the default) and the precision both filesystems keep.
  {
    name: 'exact: a same-size edit 0.1 s after the sync is a change',
    machines: { a: at(f(1_699_999_000.2, 5)), b: at(f(1_699_999_000.1, 5)) },
    base: { a: at(f(1_699_999_000.1, 5)), b: at(f(1_699_999_000.1, 5)) },
    options: { modifyWindow: 0 },
    steps: ['push docs/x a>b'],
  },
  {
    name: 'exact: microseconds apart are two versions',
    machines: { a: at(f(1_699_999_000.123456789, 5)), b: at(f(1_699_999_000.123445, 5)) },
    options: { modifyWindow: 0 },
    steps: ['push docs/x a>b'],
  },
  {
    name: 'exact: one nanosecond time read through two routes (find, perl) is one version',
    machines: { a: at(f(Number('1700000000.123456789'), 5)), b: at(f(Number('1700000000.123456717'), 5)) },
    options: { modifyWindow: 0 },
    inSync: 1,
  },
  {
    name: 'exact: a microsecond and more apart is another version',
    machines: { a: at(f(1_700_000_000.123456, 5)), b: at(f(1_700_000_000.123458, 5)) },
    options: { modifyWindow: 0 },
    steps: ['pull docs/x b>a'],
  },
  {
    name: 'exact: a whole-second mtime (a filesystem without fractions) is the same version in that second',
    machines: { a: at(f(1_699_999_000.7, 5)), b: at(f(1_699_999_000, 5)) },
    options: { modifyWindow: 0 },
    inSync: 1,
  },
  {
    name: 'exact: a whole-second mtime of the next second is another version',
    machines: { a: at(f(1_699_999_000.7, 5)), b: at(f(1_699_999_001, 5)) },
    options: { modifyWindow: 0 },
    steps: ['pull docs/x b>a'],
  },
  {
    name: 'exact: against its own base a machine compares exactly (same filesystem)',
    machines: { a: at(f(1_699_999_000.3, 5)), b: at(f(1_699_999_000, 5)) },
    base: { a: at(f(1_699_999_000, 5)), b: at(f(1_699_999_000, 5)) },
    options: { modifyWindow: 0 },
    inSync: 1,
  },

  // Per-machine windows: a pair compares with the larger of its two windows.
  {
    name: 'window: a FAT machine (2 s) matches a copy 1.5 s apart',
    machines: { a: at(f(1000.5, 5)), b: at(f(1002, 5)) },
    options: { modifyWindow: 0, windows: { b: 2 } },
    inSync: 1,
  },
  {
    name: 'window: two exact machines 1.5 s apart differ even when a third is coarse',
    machines: { a: at(f(1000.5, 5)), b: at(f(1002, 5)), c: at(f(1002, 5)) },
    options: { modifyWindow: 0, windows: { c: 2 } },
    steps: ['pull docs/x b>a'],
  },
  {
    name: 'window: the global key is the default of every machine',
    machines: { a: at(f(1000.5, 5)), b: at(f(1001.2, 5)) },
    options: { modifyWindow: 1 },
    inSync: 1,
  },
  {
    name: 'window: a machine may be stricter than the global default',
    machines: { a: at(f(1000.5, 5)), b: at(f(1001.2, 5)) },
    options: { modifyWindow: 1, windows: { a: 0, b: 0 } },
    steps: ['pull docs/x b>a'],
  },

  // Modes are part of a file's version.
  {
    name: 'perms: chmod on one machine after the sync is a change, pushed',
    machines: { a: at(f(1000, 5, 0o755)), b: at(f(1000, 5, 0o644)) },
    base: { a: at(f(1000, 5, 0o644)), b: at(f(1000, 5, 0o644)) },
    steps: ['push docs/x a>b'],
  },
  {
    name: 'perms: chmod on two machines differently = conflict',
    machines: { a: at(f(1000, 5, 0o755)), b: at(f(1000, 5, 0o600)) },
    base: { a: at(f(1000, 5, 0o644)), b: at(f(1000, 5, 0o644)) },
    conflicts: ['docs/x: changed on a and b'],
  },
  {
    name: 'perms: modes of a machine with perms: ignore are not compared',
    machines: { a: at(f(1000, 5, 0o644)), b: at(f(1000, 5, 0o755)) },
    options: { ignorePerms: ['b'] },
    inSync: 1,
  },
  {
    name: 'perms: ignoring b does not hide a mode change between a and c',
    machines: { a: at(f(1000, 5, 0o755)), b: at(f(1000, 5, 0o777)), c: at(f(1000, 5, 0o644)) },
    base: { a: at(f(1000, 5, 0o644)), b: at(f(1000, 5, 0o777)), c: at(f(1000, 5, 0o644)) },
    options: { ignorePerms: ['b'] },
    steps: ['push docs/x a>c'],
  },
  {
    name: 'perms: an offline machine whose base has another mode is owed the version',
    machines: { a: at(f(1000, 5, 0o755)), b: at(f(1000, 5, 0o755)), c: 'offline' },
    base: { c: at(f(1000, 5, 0o644)) },
    inSync: 1,
    deferred: ['c docs/x'],
  },

  // Versions dated in the future.
  {
    name: 'future: without a base the future-dated version does not win by being newest',
    machines: { a: at(f(1000, 5)), b: at(f(FUTURE, 6)) },
    conflicts: ['docs/x: newest on b, but dated in the future there'],
    future: ['docs/x b'],
  },
  {
    name: 'future: --prefer newest leaves a conflict toward a future-dated version standing, saying so',
    machines: { a: at(f(2000, 5)), b: at(f(FUTURE, 6)) },
    base: { a: at(f(1000, 4)), b: at(f(1000, 4)) },
    options: { prefer: prefer.newest },
    conflicts: ['docs/x: changed on a and b; the newest version, on b, is dated in the future: --prefer newest does not pick it'],
    future: ['docs/x b'],
  },
  {
    name: 'future: --prefer MACHINE still resolves it',
    machines: { a: at(f(2000, 5)), b: at(f(FUTURE, 6)) },
    base: { a: at(f(1000, 4)), b: at(f(1000, 4)) },
    options: { prefer: prefer.machine('b') },
    steps: ['pull docs/x b>a'],
    future: ['docs/x b'],
  },
  {
    name: 'future: --prefer newest does not fall back to the newest version of the present either',
    machines: { a: at(f(2000, 5)), b: at(f(1500, 6)), c: at(f(FUTURE, 4)) },
    base: { a: at(f(1000, 4)), b: at(f(1000, 4)), c: at(f(FUTURE, 4)) },
    options: { prefer: prefer.newest },
    conflicts: ['docs/x: changed on a and b; the newest version, on c, is dated in the future: --prefer newest does not pick it'],
    future: ['docs/x c'],
  },
  {
    name: 'future: a minute ahead is the slack (not flagged)',
    machines: { a: at(f(1000, 5)), b: at(f(1_700_000_050, 6)) },
    steps: ['pull docs/x b>a'],
  },
  {
    name: 'future: a machine whose clock is ahead is judged by its own clock',
    machines: { a: at(f(1000, 5)), b: at(f(1_700_003_000, 6)) },
    steps: ['pull docs/x b>a'],
    // (b's clock offset is set below for this case)
  },
];

/** Cases whose machines' clocks differ from self's (ms ahead). */
const clocks: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'future: a machine whose clock is ahead is judged by its own clock': { b: 3_600_000 },
};

describe('buildPlan: coverage, exact versions, modes, future dates', () => {
  it.each(cases)('$name', (c) => {
    let plan = run(c);
    const clock = clocks[c.name];
    if (clock) {
      const s = snap({ self: 'a', machines: c.machines, paths: c.paths });
      const machines = s.machines.map((m) => (clock[m.name] === undefined ? m : { ...m, clockOffsetMs: clock[m.name] }));
      plan = buildPlan(input({ ...s, machines }, baseOf(c.base ?? {}, c.covered), c.options ?? {}));
    }
    expect(plan.steps.map(showStep)).toEqual(c.steps ?? []);
    expect(plan.deferred.map(showDeferred)).toEqual(c.deferred ?? []);
    expect(plan.conflicts.map(showConflict)).toEqual(c.conflicts ?? []);
    expect(plan.warnings.map((w) => `${w.path} ${w.machine}`)).toEqual(c.future ?? []);
    if (c.inSync !== undefined) expect(plan.inSync).toBe(c.inSync);
  });

  it('a future warning carries the machine and the mtime, and the conflict lists the creations as changes', () => {
    const plan = run({ name: '', machines: { a: at(f(1000, 5)), b: at(f(FUTURE, 6)) } });
    expect(plan.warnings).toEqual([{ kind: 'future', path: X, machine: 'b', mtime: FUTURE }]);
    const created = run({ name: '', machines: { a: at(f(200, 5)), b: at(f(300, 6)), c: {} }, covered: all });
    expect(created.conflicts[0].versions).toEqual([
      { machines: ['a'], entry: f(200, 5), changed: true },
      { machines: ['b'], entry: f(300, 6), changed: true },
      { machines: ['c'], entry: null, changed: false },
    ]);
  });
});
