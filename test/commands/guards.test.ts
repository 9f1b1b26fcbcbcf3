// End to end: the guards between a plan and the machines (real sshd, real rsync): the mass-deletion
// guard counts what each machine holds under all the sync paths, and plan shows its verdict.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlanDocument } from '../../src/render/json.js';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { expectOneError, makeSandboxWithDead, readHeld, useDocsMachines, withoutMuxNoise } from './support.js';

const SSH = ['m1', 'm2'];
const ALL = [...SSH, 'here'];
const machines = useDocsMachines(SSH);

/** Every machine's held paths (what is in the state folder too), for "nothing changed" comparisons. */
async function readAll(box: Sandbox): Promise<Record<string, Map<string, unknown>>> {
  const out: Record<string, Map<string, unknown>> = {};
  for (const m of ALL) out[m] = await readHeld(box, m);
  out.state = new Map((await readdir(join(box.dir, '.blat')).catch(() => [])).map((n) => [n, true]));
  return out;
}

/** Relative paths of the files under a machine's `.blat-trash`, whatever its layout below the root. */
async function readTrashed(box: Sandbox, machine: string): Promise<string[]> {
  const entries = await readdir(join(box.root(machine), '.blat-trash'), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(box.root(machine).length + 1)).sort();
}

/** 50 files under docs, synced on every machine: 3 in docs/sub, 30 in docs/big, 17 in docs. */
async function seedFifty(box: Sandbox): Promise<void> {
  const paths = [
    ...Array.from({ length: 3 }, (_, i) => `docs/sub/s${i}.txt`),
    ...Array.from({ length: 30 }, (_, i) => `docs/big/b${i}.txt`),
    ...Array.from({ length: 17 }, (_, i) => `docs/t${i}.txt`),
  ];
  for (const [i, p] of paths.entries()) await box.write('here', p, `${p}\n`, 1_700_007_000 + i);
  const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
  expect(r.code).toBe(0);
  for (const m of SSH) expect((await box.listTree(m)).filter((e) => e.type === 'file')).toHaveLength(50);
}

describe.concurrent('the mass-deletion guard under path arguments', () => {
  it('weighs deletions against all the sync paths: 2 of 50 go ahead, 30 of 50 are refused with those numbers; plan says which before apply', async () => {
    const box = await machines.sandbox();
    const inHere = { cwd: box.root('here') };
    const c = ['-c', box.configFile];
    try {
      await seedFifty(box);
      await box.remove('m2', 'docs/big');
      await box.remove('m2', 'docs/sub/s0.txt');
      await box.remove('m2', 'docs/sub/s1.txt');
      const before = await readAll(box);

      // 30 of 50: plan says apply would refuse, and apply refuses, naming 30 of the 50 files.
      const problem = (m: string) => `${m}: propagating deletions would move 30 of the 50 files it holds to trash (more than 50% of them); is a disk unmounted?`;
      const planned = await runBlat([...c, 'plan', 'docs/big', '--propagate-deletes'], { ...inHere, env: { COLUMNS: '200' } });
      expect(withoutMuxNoise(planned.stderr)).toBe('');
      expect(planned.code).toBe(0);
      const lines = planned.stdout.trimEnd().split('\n');
      expect(lines.slice(-7, -4)).toEqual([
        'Deletion guard: apply would refuse (check that no disk is unmounted; pass --force-deletes to go ahead):',
        `  ${problem('m1')}`,
        `  ${problem('here')}`,
      ]);
      const json = await runBlat([...c, 'plan', 'docs/big', '--propagate-deletes', '--json'], inHere);
      expect(JSON.parse(json.stdout).deletionGuard).toEqual({ passes: false, problems: [problem('m1'), problem('here')] });

      const refused = await runBlat([...c, 'apply', 'docs/big', '--propagate-deletes', '--auto-approve'], inHere);
      expect(withoutMuxNoise(refused.stderr).trimEnd().split('\n')).toEqual([
        'blat: refusing to propagate deletions:',
        `blat: ${problem('m1')}`,
        `blat: ${problem('here')}`,
        'blat: (check that no disk is unmounted; pass --force-deletes to go ahead)',
      ]);
      expect(refused.code).toBe(1);
      expect(await readAll(box)).toEqual(before);

      // 2 of 50 under docs/sub: plan says the guard passes, and apply moves them to trash.
      expect(JSON.parse((await runBlat([...c, 'plan', 'docs/sub', '--propagate-deletes', '--json'], inHere)).stdout).deletionGuard).toEqual({
        passes: true,
        problems: [],
      });
      // Saved and applied later (the saved plan is narrowed too).
      expect((await runBlat([...c, 'plan', 'docs/sub', '--propagate-deletes', '--out', join(box.dir, 'sub.json')], inHere)).code).toBe(0);
      const applied = await runBlat([...c, 'apply', join(box.dir, 'sub.json')], inHere);
      expect(withoutMuxNoise(applied.stderr)).toBe('');
      expect(applied.code).toBe(0);
      for (const m of ['m1', 'here']) {
        expect(await box.exists(m, 'docs/sub/s0.txt')).toBe(false);
        expect(await box.exists(m, 'docs/sub/s1.txt')).toBe(false);
        expect(await box.read(m, 'docs/sub/s2.txt')).toBe('docs/sub/s2.txt\n');
        expect((await readTrashed(box, m)).filter((p) => /docs\/sub\/s[01]\.txt$/.test(p))).toHaveLength(2);
        expect(await box.exists(m, 'docs/big/b0.txt')).toBe(true);
      }
    } finally {
      await box.cleanup();
    }
  });

  it('lets a narrowed apply --propagate-deletes take 2 of 50 files', async () => {
    const box = await machines.sandbox();
    try {
      await seedFifty(box);
      await box.remove('m2', 'docs/sub/s0.txt');
      await box.remove('m2', 'docs/sub/s1.txt');
      const r = await runBlat(['-c', box.configFile, 'apply', 'docs/sub', '--propagate-deletes', '--auto-approve'], { cwd: box.root('here') });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ['m1', 'here']) {
        expect(await box.exists(m, 'docs/sub/s0.txt')).toBe(false);
        expect((await readTrashed(box, m)).filter((p) => /docs\/sub\/s[01]\.txt$/.test(p))).toHaveLength(2);
      }
    } finally {
      await box.cleanup();
    }
  });
});

/** A saved plan document, as JSON.parse gives it. */
interface PlanDoc {
  machines: { name: string; status: string }[];
  steps: { action: string; path: string; from: string; to: string; source: unknown; target: unknown }[];
  [key: string]: unknown;
}

describe.concurrent('a saved plan is refused as a whole', () => {
  /** here (self) holds docs/a.txt, docs/b.txt, docs/sub/s.txt and other/o.txt (outside paths:); m1 and m2 hold docs/; dead is out of use. */
  async function seedPlan(): Promise<{ box: Sandbox; doc: PlanDoc }> {
    const box = await makeSandboxWithDead(machines.sshd, SSH);
    for (const p of ['docs/a.txt', 'docs/b.txt', 'docs/sub/s.txt', 'other/o.txt']) await box.write('here', p, 'same size\n', 1_700_008_000);
    for (const m of SSH) await box.mkdir(m, 'docs', 1_700_008_000);
    await box.mkdir('here', 'docs', 1_700_008_000);
    const r = await runBlat(['plan', '--out', 'plan.json'], { cwd: box.dir });
    expect(r.code).toBe(0);
    return { box, doc: JSON.parse(await readFile(join(box.dir, 'plan.json'), 'utf8')) as PlanDoc };
  }

  /** Writes an edited copy of the plan (which the plan schema and parser accept) and applies it: one line, exit 1, nothing changed anywhere. */
  async function expectRefused(box: Sandbox, doc: PlanDoc, name: string, line: string | RegExp, args: string[] = []): Promise<void> {
    expect(() => parsePlanDocument(doc, name)).not.toThrow();
    await writeFile(join(box.dir, name), JSON.stringify(doc, null, 2));
    const before = await readAll(box);
    const r = await runBlat(['apply', name, ...args], { cwd: box.dir });
    expectOneError(r, line);
    expect(await readAll(box)).toEqual(before);
  }

  const edited = (doc: PlanDoc, edit: (d: PlanDoc) => void): PlanDoc => {
    const copy = structuredClone(doc);
    edit(copy);
    return copy;
  };
  const stepOf = (d: PlanDoc, path: string, to: string) => d.steps.find((s) => s.path === path && s.to === to)!;

  it("refuses a step outside the config's paths, with self at both ends, naming a machine not in use, or against the step invariants", async () => {
    const { box, doc } = await seedPlan();
    try {
      const at = (d: PlanDoc) => d.steps.indexOf(stepOf(d, 'docs/a.txt', 'm1')) + 1;
      const outside = edited(doc, (d) => (stepOf(d, 'docs/a.txt', 'm1').path = 'other/o.txt'));
      await expectRefused(box, outside, 'outside.json', `blat: outside.json: refused: step ${at(doc)} (push other/o.txt here → m1) lies outside the config's paths (docs); nothing was changed`);
      const hostile = edited(doc, (d) => (stepOf(d, 'docs/a.txt', 'm1').path = 'other/new\nline $(x)'));
      await expectRefused(box, hostile, 'hostile.json', `blat: hostile.json: refused: step ${at(doc)} (push other/new\\nline $(x) here → m1) lies outside the config's paths (docs); nothing was changed`);
      const selfToSelf = edited(doc, (d) => (stepOf(d, 'docs/a.txt', 'm1').to = 'here'));
      await expectRefused(box, selfToSelf, 'self.json', `blat: self.json: refused: step ${at(doc)} (push docs/a.txt here → here) has here at both ends; nothing was changed`);
      const dead = edited(doc, (d) => (stepOf(d, 'docs/a.txt', 'm1').to = 'dead'));
      await expectRefused(box, dead, 'dead.json', `blat: dead.json: refused: step ${at(doc)} (push docs/a.txt here → dead) names dead, which the config declares out of use; nothing was changed`);
      const ghost = edited(doc, (d) => {
        d.machines.push({ name: 'ghost', status: 'online' });
        stepOf(d, 'docs/a.txt', 'm1').to = 'ghost';
      });
      await expectRefused(box, ghost, 'ghost.json', `blat: ghost.json: refused: step ${at(doc)} (push docs/a.txt here → ghost) names ghost, not a machine of the config; nothing was changed`);
      const pushFromM1 = edited(doc, (d) => (stepOf(d, 'docs/a.txt', 'm1').from = 'm2'));
      await expectRefused(box, pushFromM1, 'push.json', `blat: push.json: refused: step ${at(doc)} (push docs/a.txt m2 → m1) is a push that does not come from self (here); nothing was changed`);
      const pullToM2 = edited(doc, (d) => {
        const s = stepOf(d, 'docs/a.txt', 'm1');
        d.steps = [{ ...s, action: 'pull', from: 'm1', to: 'm2' }, ...d.steps.filter((x) => x !== s)];
        (d.summary as Record<string, number>).pull++;
        (d.summary as Record<string, number>).push--;
      });
      await expectRefused(box, pullToM2, 'pull.json', 'blat: pull.json: refused: step 1 (pull docs/a.txt m1 → m2) is a pull that does not go to self (here); nothing was changed');
      expect(existsSync(join(box.dir, '.blat', 'journal.jsonl'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it("refuses a step outside the plan's own targets", async () => {
    const { box } = await seedPlan();
    try {
      const r = await runBlat(['-c', box.configFile, 'plan', 'docs/sub', '--out', join(box.dir, 'sub.json')], { cwd: box.root('here') });
      expect(r.code).toBe(0);
      const doc = JSON.parse(await readFile(join(box.dir, 'sub.json'), 'utf8')) as PlanDoc;
      expect(doc.targets).toEqual(['docs/sub']);
      const wider = edited(doc, (d) => (stepOf(d, 'docs/sub/s.txt', 'm1').path = 'docs/a.txt'));
      await expectRefused(box, wider, 'wider.json', /^blat: wider\.json: refused: step \d+ \(push docs\/a\.txt here → m1\) lies outside the plan's targets \(docs\/sub\); nothing was changed$/);
    } finally {
      await box.cleanup();
    }
  });

  it('refuses planning options and path arguments it would ignore', async () => {
    const { box, doc } = await seedPlan();
    try {
      await expectRefused(box, doc, 'p.json', `blat: p.json: refused: a saved plan is applied as it was planned, so --prefer would be ignored; give it to blat plan --out FILE instead`, ['--prefer', 'm1']);
      await expectRefused(box, doc, 'p.json', `blat: p.json: refused: a saved plan is applied as it was planned, so --prefer and --propagate-deletes would be ignored; give them to blat plan --out FILE instead`, ['--prefer', 'newest', '--propagate-deletes']);
      await expectRefused(box, doc, 'p.json', new RegExp(`^blat: p\\.json: refused: a saved plan is applied as it was planned, without path arguments`), ['docs']);
      expect(existsSync(join(box.dir, '.blat', 'journal.jsonl'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('refuses a plan the journal shows was applied already, not one made after an apply of the same scan', async () => {
    const { box } = await seedPlan();
    try {
      const first = await runBlat(['apply', 'plan.json'], { cwd: box.dir });
      expect(withoutMuxNoise(first.stderr)).toBe('');
      expect(first.code).toBe(0);
      const before = await readAll(box);
      const again = await runBlat(['apply', 'plan.json'], { cwd: box.dir });
      expectOneError(again, /^blat: plan\.json: refused: the journal shows it was applied already \(run \S+, \d{4}-\d\d-\d\dT[\d:.]+Z\); plan again, or finish what that run left with blat apply --resume$/);
      expect(await readAll(box)).toEqual(before);

      // An apply of the same (in-sync) scan before a plan is made does not make the plan applied.
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      expect((await runBlat(['plan', '--out', 'later.json'], { cwd: box.dir })).code).toBe(0);
      const later = await runBlat(['apply', 'later.json'], { cwd: box.dir });
      expect(withoutMuxNoise(later.stderr)).toBe('');
      expect(later.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });
});
