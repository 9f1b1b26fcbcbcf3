// --keep-both in the planner: copy-aside steps, conflict-copy names, and what a saved plan may hold of them.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { buildConflictName, isConflictNameOf } from '../../src/plan/conflictName.js';
import { checkSavedPlan } from '../../src/plan/savedPlan.js';
import { buildPlanDocument, parsePlanDocument } from '../../src/render/json.js';
import { renderPlanText } from '../../src/render/table.js';
import type { Config, Plan, Step } from '../../src/types.js';
import { baseOf, dir, f, input, link, snap, type Entries, type MachineSpec } from './builder.js';

const X = 'docs/x.txt';
// 2023-07-22T04:26:40Z and 2023-03-28T10:40:00Z (the planner's clock: 2023-11-14)
const NEW = 1_690_000_000;
const OLD = 1_680_000_000;
const showStep = (s: Step): string => (s.action === 'copy-aside' ? `copy-aside ${s.path} on ${s.from} as ${s.as}` : `${s.action} ${s.path} ${s.from}>${s.to}`);

function plan(machines: Record<string, MachineSpec>, base: Record<string, Entries>, self = 'a'): Plan {
  return buildPlan(input(snap({ self, machines }), baseOf(base), { keepBoth: true }));
}

describe('buildConflictName', () => {
  it('has the shape of Syncthing’s conflict copies, in UTC', () => {
    const t = 1767323045; // 2026-01-02T03:04:05Z
    expect(buildConflictName('docs/a.txt', 'm2', t)).toBe('docs/a.conflict-m2-20260102-030405.txt');
    expect(buildConflictName('docs/archive.tar.gz', 'm2', t + 0.9)).toBe('docs/archive.tar.conflict-m2-20260102-030405.gz');
    expect(buildConflictName('Makefile', 'here', t)).toBe('Makefile.conflict-here-20260102-030405');
    expect(buildConflictName('home/.bashrc', 'm1', t)).toBe('home/.bashrc.conflict-m1-20260102-030405');
    expect(buildConflictName('docs/a.txt', 'm2', t, 3)).toBe('docs/a.conflict-m2-20260102-030405-3.txt');
  });
  it('recognises its own names beside a path, and nothing else', () => {
    expect(isConflictNameOf('docs/a.txt', 'docs/a.conflict-m2-20260102-030405.txt')).toBe(true);
    expect(isConflictNameOf('docs/a.txt', 'docs/a.conflict-m2-20260102-030405-3.txt')).toBe(true);
    expect(isConflictNameOf('home/.bashrc', 'home/.bashrc.conflict-m1-20230328-104000')).toBe(true);
    expect(isConflictNameOf('docs/a.txt', 'other/a.conflict-m2-20260102-030405.txt')).toBe(false);
    expect(isConflictNameOf('docs/a.txt', 'docs/b.txt')).toBe(false);
    expect(isConflictNameOf('docs/a.txt', 'docs/a.conflict-m2-2026.txt')).toBe(false);
  });
});

describe('buildPlan --keep-both', () => {
  const both = { a: { [X]: f(OLD, 20) }, b: { [X]: f(NEW, 30) }, c: { [X]: f(100) } };
  const base = { a: { [X]: f(100) }, b: { [X]: f(100) }, c: { [X]: f(100) } };

  it('the newest stays at the path; the other version is copied aside on its holder, then spread like a new file', () => {
    const p = plan(both, base);
    expect(p.conflicts).toEqual([]);
    const name = 'docs/x.conflict-a-20230328-104000.txt';
    expect(p.steps.map(showStep)).toEqual([`copy-aside ${X} on a as ${name}`, `pull ${X} b>a`, `push ${name} a>b`, `push ${name} a>c`, `push ${X} a>c`]);
    expect(p.steps[0]).toMatchObject({ source: f(OLD, 20), target: null });
    expect(p.steps[2]).toMatchObject({ source: f(OLD, 20), target: null });
    expect(p.steps[2].replaces).toBeUndefined();
    expect(renderPlanText(p, { color: false })).toContain(name);
  });

  it('a holder other than self: pulled here from it, pushed to the others; offline machines are owed the copy', () => {
    const p = plan({ a: { [X]: f(NEW, 30) }, b: { [X]: f(OLD, 20) }, c: { [X]: f(100) }, d: 'offline' }, { ...base, d: { [X]: f(100) } });
    const name = 'docs/x.conflict-b-20230328-104000.txt';
    expect(p.steps.map(showStep)).toEqual([`copy-aside ${X} on b as ${name}`, `pull ${name} b>a`, `push ${name} a>c`, `push ${X} a>b`, `push ${X} a>c`]);
    expect(p.deferred.map((d) => `${d.machine} ${d.path}`)).toEqual([`d ${name}`, `d ${X}`]);
  });

  it('every version but the newest is kept, each under its own holder’s name', () => {
    const p = plan({ a: { [X]: f(OLD, 20) }, b: { [X]: f(NEW, 30) }, c: { [X]: f(OLD + 60, 40) } }, base);
    expect(p.steps.filter((s) => s.action === 'copy-aside').map((s) => s.as)).toEqual(['docs/x.conflict-a-20230328-104000.txt', 'docs/x.conflict-c-20230328-104100.txt']);
  });

  it('a modify/delete conflict: the change comes back everywhere, nothing to keep aside', () => {
    const p = plan({ a: {}, b: { [X]: f(NEW, 30) } }, { a: { [X]: f(100) }, b: { [X]: f(100) } });
    expect(p.steps.map(showStep)).toEqual([`pull ${X} b>a`]);
  });

  it('a taken name gets a number: held by a machine, in a base, or given in this plan', () => {
    const taken = 'docs/x.conflict-a-20230328-104000.txt';
    const p = plan({ ...both, c: { [X]: f(100), [taken]: f(5) } }, base);
    expect(p.steps[0].as).toBe('docs/x.conflict-a-20230328-104000-2.txt');
    const q = plan(both, { ...base, b: { [X]: f(100), [taken]: f(5) } });
    expect(q.steps[0].as).toBe('docs/x.conflict-a-20230328-104000-2.txt');
  });

  it('when every numbered name is taken, the conflict stays and says so', () => {
    const names: Entries = Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [buildConflictName(X, 'a', OLD, n), f(5)]));
    const p = plan({ ...both, c: { [X]: f(100), ...names } }, base);
    expect(p.steps.filter((s) => s.path === X || s.action === 'copy-aside')).toEqual([]);
    expect(p.conflicts.map((c) => c.reason)).toEqual([`changed on a and b; --keep-both: docs/x.conflict-a-20230328-104000.txt and its numbered variants are taken`]);
  });

  it('keeps files only, and never lets a version dated in the future win: those conflicts stay', () => {
    const p = plan({ a: { [X]: dir(OLD) }, b: { [X]: f(NEW, 30) } }, {});
    expect(p.conflicts.map((c) => c.reason)).toEqual(['different types; --keep-both: it keeps files only, and a version here is a folder or a symlink']);
    const typed = plan({ a: { [X]: link('t', NEW) }, b: { [X]: f(NEW + 0.2, 30) } }, {});
    expect(typed.conflicts.map((c) => c.reason)).toEqual(['different types; --keep-both: it keeps files only, and a version here is a folder or a symlink']);
    const future = plan({ a: { [X]: f(OLD, 20) }, b: { [X]: f(1_800_000_000, 30) } }, { a: { [X]: f(100) }, b: { [X]: f(100) } });
    expect(future.conflicts.map((c) => c.reason)).toEqual(['changed on a and b; --keep-both: the newest version, on b, is dated in the future']);
  });

  it('equal mtimes, different sizes: the first in machine order stays, the other is kept', () => {
    const p = plan({ a: { [X]: f(OLD, 20) }, b: { [X]: f(OLD, 30) } }, {});
    expect(p.steps.map(showStep)).toEqual([`copy-aside ${X} on b as docs/x.conflict-b-20230328-104000.txt`, `pull docs/x.conflict-b-20230328-104000.txt b>a`, `push ${X} a>b`]);
  });
});

describe('a plan with copy-aside steps, saved', () => {
  const CONFIG = {
    file: '/cfg/blat.yaml',
    paths: ['docs'],
    machines: ['a', 'b', 'c'].map((name) => ({ name, transport: 'ssh', host: name, root: '/r', aliases: [] })),
  } as unknown as Config;
  const made = (targets: string[] = []) =>
    buildPlan({
      ...input(snap({ self: 'a', digest: 'b'.repeat(64), paths: targets.length ? targets : ['docs'], machines: { a: { [X]: f(OLD, 20) }, b: { [X]: f(NEW, 30) } } }), baseOf({ a: { [X]: f(100) }, b: { [X]: f(100) } }), { keepBoth: true, targets }),
      configDigest: 'a'.repeat(64),
    });

  it('goes through JSON and back, and is accepted as planned, narrowed to the path itself too', () => {
    for (const p of [made(), made([X])]) {
      const back = parsePlanDocument(JSON.parse(JSON.stringify(buildPlanDocument(p))), 'plan.json');
      expect(back.steps).toEqual(p.steps);
      expect(buildPlanDocument(p).summary.aside).toBe(1);
      expect(checkSavedPlan(back, CONFIG)).toBeUndefined();
    }
  });

  it('refuses a copy-aside out of place, between machines, over something, or to a name that is not a conflict copy', () => {
    const p = made();
    const edit = (change: (steps: Step[]) => Step[]) => checkSavedPlan({ ...p, steps: change([...p.steps]) }, CONFIG);
    expect(edit((s) => [s[1], s[0], ...s.slice(2)])).toMatch(/^step 2 \(copy-aside docs\/x\.txt on a as docs\/x\.conflict-a-20230328-104000\.txt\) is a copy-aside after another step/);
    expect(edit((s) => [{ ...s[0], to: 'c' }, ...s.slice(1)])).toMatch(/is a copy-aside between two machines/);
    expect(edit((s) => [{ ...s[0], target: f(1) }, ...s.slice(1)])).toMatch(/is a copy-aside of something other than a file, or over something/);
    expect(edit((s) => [{ ...s[0], as: 'docs/other.txt' }, ...s.slice(1)])).toMatch(/is a copy-aside to a name that is not a conflict copy beside the path/);
    expect(edit((s) => [{ ...s[0], as: '../etc/passwd' }, ...s.slice(1)])).toMatch(/not a conflict copy/);
    expect(edit((s) => [s[0], { ...s[1], as: s[0].as }, ...s.slice(2)])).toMatch(/names a conflict copy \(as\) but is not a copy-aside/);
  });
});
