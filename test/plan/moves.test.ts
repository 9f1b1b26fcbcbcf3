// Moves in the planner: a path moved on one machine is moved alike on the others (move steps),
// neither a held deletion nor a transfer; a moved folder is one move.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { buildMoves, type MoveFrom, type MoveTo } from '../../src/plan/moves.js';
import { checkSavedPlan } from '../../src/plan/savedPlan.js';
import { buildPlanDocument, parsePlanDocument } from '../../src/render/json.js';
import { renderPlanMarkdown } from '../../src/render/markdown.js';
import { renderPlanText } from '../../src/render/table.js';
import { summarisePlan } from '../../src/plan/summary.js';
import { renderSummaryLine } from '../../src/render/summary.js';
import type { Config, Entry, Plan, Step } from '../../src/types.js';
import { baseOf, dir, f, input, link, snap, type Entries, type MachineSpec } from './builder.js';

const T = 1_690_000_000;
const show = (s: Step): string => (s.action === 'move' ? `move ${s.was} → ${s.path} ${s.from}>${s.to}` : `${s.action} ${s.path} ${s.from}>${s.to}`);
const ALL = { a: ['docs'], b: ['docs'], c: ['docs'] };

/** The plan of machines a (self), b, c against a base where every machine held `was`, all synced over docs. */
function plan(machines: Record<string, MachineSpec>, was: Entries, options = {}): Plan {
  const base: Record<string, Entries> = {};
  for (const name of Object.keys(machines)) base[name] = was;
  return buildPlan(input(snap({ self: 'a', machines }), baseOf(base, ALL), options));
}

/** A folder `root` of `n` files, with `docs` itself. */
function folder(root: string, n: number, mtime = T): Record<string, Entry> {
  const out: Record<string, Entry> = { docs: dir(), [root]: dir(T - 5) };
  for (let i = 0; i < n; i++) out[`${root}/p${i}.jpg`] = f(mtime + i, 1000 + i);
  out[`${root}/sub`] = dir(T - 7);
  out[`${root}/sub/deep.jpg`] = f(mtime, 42);
  return out;
}

/** The same entries with `from` renamed `to`. */
function renamed(entries: Record<string, Entry>, from: string, to: string): Record<string, Entry> {
  return Object.fromEntries(Object.entries(entries).map(([p, e]) => [p === from || p.startsWith(`${from}/`) ? to + p.slice(from.length) : p, e]));
}

describe('buildPlan: moves', () => {
  it('plans a file moved on self as one move per other machine: no push, no held deletion', () => {
    const was = { docs: dir(), 'docs/a.txt': f(T, 100) };
    const now = { docs: dir(), 'docs/b.txt': f(T, 100) };
    const p = plan({ a: now, b: was, c: was }, was);
    expect(p.steps.map(show)).toEqual(['move docs/a.txt → docs/b.txt a>b', 'move docs/a.txt → docs/b.txt a>c']);
    expect(p.steps[0]).toMatchObject({ source: f(T, 100), target: null });
    expect(p.deletions).toEqual([]);
    expect(p.conflicts).toEqual([]);
  });

  it('plans a move made on another machine too, without --propagate-deletes', () => {
    const was = { docs: dir(), 'docs/a.txt': f(T, 100) };
    const now = { docs: dir(), 'docs/b.txt': f(T, 100) };
    const p = plan({ a: was, b: now, c: was }, was);
    expect(p.steps.map(show)).toEqual(['move docs/a.txt → docs/b.txt b>a', 'move docs/a.txt → docs/b.txt b>c']);
  });

  it('plans the move for the machines left when it was moved alike on two of them (or an earlier move was done on one)', () => {
    const was = { docs: dir(), 'docs/a.txt': f(T, 100) };
    const now = { docs: dir(), 'docs/b.txt': f(T, 100) };
    const p = plan({ a: now, b: now, c: was }, was);
    expect(p.steps.map(show)).toEqual(['move docs/a.txt → docs/b.txt a>c']);
    expect(p.deletions).toEqual([]);
  });

  it('makes a move, not trash steps, with --propagate-deletes too', () => {
    const was = folder('docs/photos', 4);
    const now = renamed(was, 'docs/photos', 'docs/pictures');
    const p = plan({ a: now, b: was, c: was }, was, { propagateDeletes: true });
    expect(p.steps.map(show)).toEqual(['move docs/photos → docs/pictures a>b', 'move docs/photos → docs/pictures a>c']);
    expect(p.deletions).toEqual([]);
  });

  it('plans a moved folder of many files as ONE move of the folder per machine', () => {
    const was = folder('docs/photos', 200);
    const now = renamed(was, 'docs/photos', 'docs/pictures');
    const p = plan({ a: now, b: was, c: was }, was);
    expect(p.steps.map(show)).toEqual(['move docs/photos → docs/pictures a>b', 'move docs/photos → docs/pictures a>c']);
    expect(p.steps[0].source).toEqual(dir(T - 5));
    expect(p.deletions).toEqual([]);
    expect(p.conflicts).toEqual([]);
  });

  it('moves a folder into another folder, and pushes only what differs under it', () => {
    const was = { ...folder('docs/photos', 5), 'docs/2020': dir() };
    const now = { ...renamed(was, 'docs/photos', 'docs/2020/photos'), 'docs/2020/photos/new.jpg': f(T, 7) };
    const p = plan({ a: now, b: was, c: was }, was);
    expect(p.steps.map(show)).toEqual([
      'move docs/photos → docs/2020/photos a>b',
      'move docs/photos → docs/2020/photos a>c',
      'push docs/2020/photos/new.jpg a>b',
      'push docs/2020/photos/new.jpg a>c',
    ]);
  });

  it('does not move a folder whose file changed on the mover: file moves where they fit, the changed one sent', () => {
    const was = folder('docs/photos', 3);
    const now = { ...renamed(was, 'docs/photos', 'docs/pictures'), 'docs/pictures/p1.jpg': f(T + 50, 5) };
    const p = plan({ a: now, b: was, c: was }, was);
    // docs/pictures does not exist on b and c: the files cannot be moved into it one by one.
    expect(p.steps.some((s) => s.action === 'move')).toBe(false);
    expect(p.deletions.map((d) => d.path)).toContain('docs/photos/p1.jpg');
  });

  it('makes a target whose copy at the old path changed a conflict for that path, and moves nothing', () => {
    const was = { docs: dir(), 'docs/a.txt': f(T, 100) };
    const now = { docs: dir(), 'docs/b.txt': f(T, 100) };
    const changed = { docs: dir(), 'docs/a.txt': f(T + 10, 101) };
    const p = plan({ a: now, b: changed, c: was }, was);
    expect(p.steps.some((s) => s.action === 'move')).toBe(false);
    expect(p.conflicts.map((c) => `${c.path}: ${c.reason}`)).toEqual(['docs/a.txt: changed on b, deleted on a (moved to docs/b.txt on a; not moved where it changed)']);
  });

  it('does not move a folder when a target holds a changed file under it', () => {
    const was = folder('docs/photos', 3);
    const now = renamed(was, 'docs/photos', 'docs/pictures');
    const changed = { ...was, 'docs/photos/p0.jpg': f(T + 99, 1) };
    const p = plan({ a: now, b: changed, c: was }, was);
    expect(p.steps.some((s) => s.action === 'move' && s.path === 'docs/pictures')).toBe(false);
    expect(p.conflicts.map((c) => c.path)).toEqual(['docs/photos/p0.jpg']);
  });

  it('does not move when sizes or mtimes differ, nor when the new path existed at the base', () => {
    const was = { docs: dir(), 'docs/a.txt': f(T, 100) };
    expect(plan({ a: { docs: dir(), 'docs/b.txt': f(T, 101) }, b: was, c: was }, was).steps.some((s) => s.action === 'move')).toBe(false);
    expect(plan({ a: { docs: dir(), 'docs/b.txt': f(T + 5, 100) }, b: was, c: was }, was).steps.some((s) => s.action === 'move')).toBe(false);
    // b holds something at the new path: no move (a move never replaces anything).
    const atNew = { ...was, 'docs/b.txt': f(T - 100, 3) };
    expect(plan({ a: { docs: dir(), 'docs/b.txt': f(T, 100) }, b: atNew, c: was }, was).steps.some((s) => s.action === 'move')).toBe(false);
  });

  it('does not move when an offline machine holds the old path in its base (it would bring it back)', () => {
    const was = { docs: dir(), 'docs/a.txt': f(T, 100) };
    const base = baseOf({ a: was, b: was, c: was }, ALL);
    const p = buildPlan(input(snap({ self: 'a', machines: { a: { docs: dir(), 'docs/b.txt': f(T, 100) }, b: was, c: 'offline' } }), base));
    expect(p.steps.some((s) => s.action === 'move')).toBe(false);
  });

  it('pairs two files of the same size by name, and moves symlinks', () => {
    const was = { docs: dir(), 'docs/x': dir(), 'docs/x/one.txt': f(T, 10), 'docs/x/two.txt': f(T, 10), 'docs/l': link('one.txt') };
    const now = { docs: dir(), 'docs/x': dir(), 'docs/y': dir(), 'docs/y/one.txt': f(T, 10), 'docs/y/two.txt': f(T, 10), 'docs/l2': link('one.txt') };
    const wasAll = { ...was, 'docs/y': dir() };
    const p = plan({ a: now, b: wasAll, c: wasAll }, wasAll);
    expect(p.steps.filter((s) => s.to === 'b').map(show)).toEqual([
      'move docs/l → docs/l2 a>b',
      'move docs/x/one.txt → docs/y/one.txt a>b',
      'move docs/x/two.txt → docs/y/two.txt a>b',
    ]);
  });
});

describe('a plan with move steps: shown, saved, checked', () => {
  const CONFIG = {
    file: '/cfg/blat.yaml',
    paths: ['docs'],
    machines: ['a', 'b', 'c'].map((name) => ({ name, transport: 'ssh', host: name, root: '/r', aliases: [] })),
  } as unknown as Config;
  const was = { docs: dir(), 'docs/a $(x).txt': f(T, 100) };
  const made = () => ({ ...plan({ a: { docs: dir(), 'docs/b.txt': f(T, 100) }, b: was, c: was }, was), configDigest: 'a'.repeat(64), snapshotDigest: 'b'.repeat(64) });

  it('shows the move with its old path in text, markdown and the summary line', () => {
    const p = made();
    const text = renderPlanText(p, { color: false });
    expect(text).toContain('moved on a from docs/a $(x).txt');
    expect(text).toMatch(/move\s+│?\s*docs\/b\.txt/);
    expect(renderSummaryLine(summarisePlan(p), false)).toBe('Plan: 2 to move, 0 to pull, 0 to push, 0 deferred, 0 conflicts, 0 deletions held.');
    expect(renderPlanMarkdown(p)).toContain('from docs/a $(x).txt (moved on a)');
  });

  it('goes through JSON and back with `was`, and is accepted as planned', () => {
    const p = made();
    const doc = buildPlanDocument(p);
    expect(doc.summary.move).toBe(2);
    expect(doc.steps[0]).toMatchObject({ action: 'move', path: 'docs/b.txt', was: 'docs/a $(x).txt', target: null });
    const back = parsePlanDocument(JSON.parse(JSON.stringify(doc)), 'plan.json');
    expect(back.steps).toEqual(p.steps);
    expect(checkSavedPlan(back, CONFIG)).toBeUndefined();
  });

  it('refuses a saved move without its old path, over something, after a push, or from outside the paths', () => {
    const p = made();
    const doc = JSON.parse(JSON.stringify(buildPlanDocument(p)));
    delete doc.steps[0].was;
    expect(() => parsePlanDocument(doc, 'plan.json')).toThrow(/not a blat plan/);
    const edit = (change: (steps: Step[]) => Step[]) => checkSavedPlan({ ...p, steps: change([...p.steps]) }, CONFIG);
    expect(edit((s) => [{ ...s[0], target: f(1) }, s[1]])).toMatch(/is a move of nothing, or over something/);
    expect(edit((s) => [{ ...s[0], was: 'etc/passwd' }, s[1]])).toMatch(/lies outside the config's paths/);
    expect(edit((s) => [{ ...s[0], was: 'docs/b.txt' }, s[1]])).toMatch(/into itself/);
    const push: Step = { action: 'push', path: 'docs/z', from: 'a', to: 'b', source: f(T), target: null };
    expect(edit((s) => [push, ...s])).toMatch(/is a move after a pull, push or trash step/);
    expect(edit((s) => [{ ...push, was: 'docs/q' }, ...s])).toMatch(/names an old path \(was\) but is not a move/);
  });
});

describe('buildMoves at scale', () => {
  it('compares a few candidates per deletion, not every creation: 3,000 folders and 3,000 files gone, as many new', () => {
    const froms: MoveFrom[] = [];
    const tos: MoveTo[] = [];
    const holders = new Map([['b', dir()]]);
    for (let i = 0; i < 3000; i++) {
      froms.push({ path: `docs/old${i}`, movers: ['a'], entry: dir(), holders });
      froms.push({ path: `docs/old${i}/x.jpg`, movers: ['a'], entry: f(T + i, 10), holders: new Map([['b', f(T + i, 10)]]) });
      froms.push({ path: `docs/gone${i}.txt`, movers: ['a'], entry: f(T, 10), holders: new Map([['b', f(T, 10)]]) });
      tos.push({ path: `docs/new${i}`, movers: ['a'], entry: dir() });
      tos.push({ path: `docs/new${i}/x.jpg`, movers: ['a'], entry: f(T + i + 0.5, 10) }); // not the same version
      tos.push({ path: `docs/made${i}.txt`, movers: ['a'], entry: f(T + 1, 10) });
    }
    let compared = 0;
    const moves = buildMoves(froms, tos, { same: () => (compared++, false), holds: () => dir(), known: () => true, blockers: [] });
    expect(moves.steps).toEqual([]);
    expect(compared).toBeLessThan(20_000);
  });
});
