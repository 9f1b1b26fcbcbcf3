// End to end: blat run from two machines in turn (two configs whose self differ, each with its
// own state folder), over the test sshd. Each machine keeps its own part of the base, so either
// controller tells an edit from a stale copy.
import { chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { useDocsMachines, withoutMuxNoise } from './support.js';

const SSH = ['m1', 'm2'];
const ALL = ['a', 'b', ...SSH];
const machines = useDocsMachines(SSH);

/** Machines a and b (local: blat runs on either), m1 and m2 over ssh; controller A's config in box.dir, B's in box.dir/b. */
async function twoControllers(): Promise<{ box: Sandbox; dirA: string; dirB: string }> {
  const box = await makeSandbox({ sshd: machines.sshd, ssh: SSH, local: ['a', 'b'], self: 'a', paths: ['docs'] });
  const dirB = join(box.dir, 'b');
  await box.writeConfigAt(join(dirB, 'blat.yaml'), { self: 'b' });
  return { box, dirA: box.dir, dirB };
}

/** The one sync set whose base `machine` holds (the name blat derived for both configs). */
async function setName(box: Sandbox, machine: string): Promise<string> {
  const sets = await readdir(join(box.root(machine), '.blat', 'sets'));
  expect(sets).toHaveLength(1);
  return sets[0];
}

async function syncFrom(dir: string, file: string, content: string, box: Sandbox, mtime: number): Promise<void> {
  await box.write('a', file, content, mtime);
  const r = await runBlat(['apply', '--auto-approve'], { cwd: dir });
  expect(withoutMuxNoise(r.stderr)).toBe('');
  expect(r.code).toBe(0);
  for (const m of ALL) expect(await box.read(m, file)).toBe(content);
}

async function planJson(dir: string, extra: readonly string[] = []): Promise<{ code: number; plan: { steps: { action: string; path: string; to: string }[]; conflicts: { path: string }[]; deletions: { path: string; deletedOn: string[]; propagated: boolean }[]; machines: { name: string; status: string; reason?: string }[] } }> {
  const r = await runBlat(['plan', '--json', ...extra], { cwd: dir });
  return { code: r.code, plan: JSON.parse(r.stdout) };
}

// Independent sandboxes, mostly waiting on blat and ssh: run side by side.
describe.concurrent('two controllers, one set of machines', () => {
  it('an edit on m1 and a later one on a are a conflict from either controller; an apply from b overwrites neither', async () => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      await syncFrom(dirA, 'docs/f.txt', 'first\n', box, 1700000000);
      await box.write('m1', 'docs/f.txt', 'edited on m1\n', 1700000100);
      await box.write('a', 'docs/f.txt', 'edited on a, later\n', 1700000200);
      const first = await runBlat(['plan', '-v'], { cwd: dirB });
      expect(first.stderr).toMatch(/bases of a sync this controller has no copy of, sent by m1, m2, a, b/);
      for (const dir of [dirA, dirB]) {
        const { plan } = await planJson(dir);
        expect(plan.conflicts.map((c) => c.path)).toEqual(['docs/f.txt']);
        expect(plan.steps.filter((s) => s.path === 'docs/f.txt')).toEqual([]);
      }
      // b had no copy of the machines' bases: its first plan got them, and kept them; its next plan asks for none.
      const again = await runBlat(['plan', '-v'], { cwd: dirB });
      expect(again.stderr).not.toMatch(/bases of a sync this controller has no copy of/);
      expect(again.stdout).toMatch(/docs\/f\.txt/);
      const r = await runBlat(['apply', '--auto-approve'], { cwd: dirB });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/Not in sync: 1 conflict/);
      expect(await box.read('m1', 'docs/f.txt')).toBe('edited on m1\n');
      expect(await box.read('a', 'docs/f.txt')).toBe('edited on a, later\n');
      expect(await box.read('b', 'docs/f.txt')).toBe('first\n');
      expect(await box.read('m2', 'docs/f.txt')).toBe('first\n');
    } finally {
      await box.cleanup();
    }
  });

  it('a deletion made after a sync from a is a held deletion planned from b, never a push', async () => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      await syncFrom(dirA, 'docs/g.txt', 'gone soon\n', box, 1700000000);
      await box.write('a', 'docs/keep.txt', 'keep\n', 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: dirA })).code).toBe(0);
      await box.remove('m2', 'docs/g.txt');
      const { plan } = await planJson(dirB);
      expect(plan.deletions).toEqual([{ path: 'docs/g.txt', deletedOn: ['m2'], heldOn: ['m1', 'a', 'b'], propagated: false }]);
      expect(plan.steps).toEqual([]);
      const r = await runBlat(['apply', '--auto-approve', '--propagate-deletes'], { cwd: dirB });
      expect(r.code).toBe(0);
      for (const m of ALL) expect(await box.exists(m, 'docs/g.txt')).toBe(false);
      // Each machine's base is its first file and what each later sync changed (the deletion, written by b, among them).
      const head = (await readFile(join(box.root('m1'), '.blat', 'sets', await setName(box, 'm1'), 'head'), 'utf8')).split(' ')[1];
      expect(head.split(',')).toHaveLength(3);
      for (const dir of [dirA, dirB]) expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: dir })).code).toBe(0);
      await box.write('m2', 'docs/g.txt', 'back again\n', 1700000300);
      for (const dir of [dirA, dirB]) expect((await planJson(dir)).plan.steps.map((s) => `${s.action} ${s.path} ${s.to}`).sort()).toEqual(['push docs/g.txt a', 'push docs/g.txt b', 'push docs/g.txt m1'].map((x) => (dir === dirA ? x.replace('push docs/g.txt a', 'pull docs/g.txt a') : x.replace('push docs/g.txt b', 'pull docs/g.txt b'))).sort());
    } finally {
      await box.cleanup();
    }
  });

  it("an apply that changes nothing leaves the machines' bases as they are: the other controller's copy stays good", async () => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      await syncFrom(dirA, 'docs/f.txt', 'first\n', box, 1700000000);
      expect((await runBlat(['plan', '-v'], { cwd: dirB })).stderr).toMatch(/sent by m1, m2, a, b/);
      const head = await readFile(join(box.root('m2'), '.blat', 'sets', await setName(box, 'm2'), 'head'), 'utf8');
      expect((await runBlat(['apply', '--auto-approve'], { cwd: dirA })).code).toBe(0);
      const now = await readFile(join(box.root('m2'), '.blat', 'sets', await setName(box, 'm2'), 'head'), 'utf8');
      expect(now).toBe(head);
      const again = await runBlat(['plan', '-v', '--detailed-exitcode'], { cwd: dirB });
      expect(again.code).toBe(0);
      expect(again.stderr).not.toMatch(/sent by/);
    } finally {
      await box.cleanup();
    }
  });

  it("a plan from a that finds every machine alike is remembered on the machines: b's plan is in sync from their seen lines alone, and sees a later edit", async () => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      await syncFrom(dirA, 'docs/f.txt', 'first\n', box, 1700000000);
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: dirA })).code).toBe(0);
      const quiet = await runBlat(['plan', '-v', '--detailed-exitcode'], { cwd: dirB });
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toMatch(/every machine answered "same" by its seen line: 2 paths alike everywhere, nothing sent/);
      // m1 edited: the others still answer "same", and b, with no copy of what that stands for, asks them again.
      await box.write('m1', 'docs/f.txt', 'edited on m1\n', 1700000100);
      const edited = await runBlat(['plan', '-v', '--json'], { cwd: dirB });
      expect(edited.stderr).toMatch(/m2, a, b answered "same" by a seen line this controller has no copy of: asked again/);
      const plan = JSON.parse(edited.stdout) as { steps: { action: string; path: string; from: string; to: string }[]; conflicts: unknown[] };
      expect(plan.conflicts).toEqual([]);
      expect(plan.steps.map((s) => `${s.action} ${s.from}>${s.to}`).sort()).toEqual(['pull m1>b', 'push b>a', 'push b>m2']);
    } finally {
      await box.cleanup();
    }
  });

  it('a file created on two machines after a sync is a conflict from either controller', async () => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      await syncFrom(dirA, 'docs/f.txt', 'first\n', box, 1700000000);
      await box.write('b', 'docs/new.txt', 'new on b\n', 1700000100);
      await box.write('m2', 'docs/new.txt', 'new on m2, later\n', 1700000200);
      for (const dir of [dirA, dirB]) expect((await planJson(dir)).plan.conflicts.map((c) => c.path)).toEqual(['docs/new.txt']);
    } finally {
      await box.cleanup();
    }
  });

  it('a base in the state folder of a blat from before bases lived on the machines seeds them once', async () => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      await syncFrom(dirA, 'docs/f.txt', 'first\n', box, 1700000000);
      // As an older blat left things: the base in a's state folder only.
      for (const m of ALL) await rm(join(box.root(m), '.blat'), { recursive: true, force: true });
      await rm(join(dirA, '.blat', 'bases.json'));
      await box.write('m1', 'docs/f.txt', 'edited on m1\n', 1700000100);
      await box.write('a', 'docs/f.txt', 'edited on a, later\n', 1700000200);
      await box.write('a', 'docs/g.txt', 'new\n', 1700000200);
      expect((await planJson(dirA)).plan.conflicts.map((c) => c.path)).toEqual(['docs/f.txt']);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: dirA })).code).toBe(2);
      for (const m of ALL) expect(await box.exists(m, 'docs/g.txt')).toBe(true);
      // The machines now hold their bases: b, which never synced, sees the conflict too.
      expect((await planJson(dirB)).plan.conflicts.map((c) => c.path)).toEqual(['docs/f.txt']);
      expect(await box.read('m1', 'docs/f.txt')).toBe('edited on m1\n');
    } finally {
      await box.cleanup();
    }
  });

  it.each([
    ['unchanged there: it is stale, and gets the new version', 'missing', 'v2 from a\n'],
    ['edited there meanwhile: a conflict, nothing overwritten', 'edited on m2\n', 'edited on m2\n'],
  ])('a machine offline during an apply from a keeps its older base; planned from b, %s', async (_what, onM2, expected) => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      await syncFrom(dirA, 'docs/f.txt', 'v1\n', box, 1700000000);
      // m2 cannot be reached by a's next apply.
      const configA = await readFile(box.configFile, 'utf8');
      await box.writeConfig({ machines: { m2: { host: 'dead' } } });
      await box.write('a', 'docs/f.txt', 'v2 from a\n', 1700000200);
      if (onM2 !== 'missing') await box.write('m2', 'docs/f.txt', onM2, 1700000100);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: dirA })).code).toBe(2);
      await writeFile(box.configFile, configA);
      const { plan } = await planJson(dirB);
      if (onM2 === 'missing') {
        expect(plan.conflicts).toEqual([]);
        expect(plan.steps.map((s) => `${s.action} ${s.path} ${s.to}`)).toEqual(['push docs/f.txt m2']);
      } else {
        expect(plan.conflicts.map((c) => c.path)).toEqual(['docs/f.txt']);
        expect(plan.steps).toEqual([]);
      }
      await runBlat(['apply', '--auto-approve'], { cwd: dirB });
      expect(await box.read('m2', 'docs/f.txt')).toBe(expected);
      expect(await box.read('a', 'docs/f.txt')).toBe('v2 from a\n');
    } finally {
      await box.cleanup();
    }
  });

  it('a sync path that is a file, deleted on a machine, is a deletion there, not a disk that was not synced', async () => {
    const box = await makeSandbox({ sshd: machines.sshd, ssh: SSH, local: ['a', 'b'], self: 'a', paths: ['docs', 'etc/machine.txt'] });
    try {
      await box.write('a', 'docs/f.txt', 'f\n', 1700000000);
      await box.write('a', 'etc/machine.txt', 'm\n', 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      await box.remove('m2', 'etc/machine.txt');
      const { plan } = await planJson(box.dir);
      expect(plan.machines.find((m) => m.name === 'm2')!.status).toBe('online');
      expect(plan.deletions).toEqual([{ path: 'etc/machine.txt', deletedOn: ['m2'], heldOn: ['m1', 'a', 'b'], propagated: false }]);
    } finally {
      await box.cleanup();
    }
  });

  it.each([
    ['its sync path emptied', async (box: Sandbox) => box.remove('m2', 'docs')],
    ['its root emptied, .blat and all (a disk not mounted)', async (box: Sandbox) => {
      const { uid, gid } = await stat(box.root('m2'));
      await rm(box.root('m2'), { recursive: true, force: true });
      await mkdir(box.root('m2'));
      await chown(box.root('m2'), uid, gid);
    }],
  ])('a machine with %s causes no deletion nor trash step anywhere, even with --propagate-deletes', async (_what, empty) => {
    const { box, dirA, dirB } = await twoControllers();
    try {
      for (let i = 0; i < 3; i++) await box.write('a', `docs/f${i}.txt`, `file ${i}\n`, 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: dirA })).code).toBe(0);
      await empty(box);
      for (const dir of [dirA, dirB]) {
        const { code, plan } = await planJson(dir, ['--propagate-deletes', '--detailed-exitcode']);
        expect(code).toBe(2);
        expect(plan.steps.filter((s) => s.action === 'trash')).toEqual([]);
        expect(plan.steps.filter((s) => s.to === 'm2')).toEqual([]);
        expect(plan.deletions).toEqual([]);
        const m2 = plan.machines.find((m) => m.name === 'm2')!;
        expect(m2.status).toBe('offline');
        expect(m2.reason).toMatch(/not the disk that was synced/);
      }
      const r = await runBlat(['apply', '--auto-approve', '--propagate-deletes'], { cwd: dirB });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/m2: not the disk that was synced\?/);
      for (const m of ['a', 'b', 'm1']) for (let i = 0; i < 3; i++) expect(await box.read(m, `docs/f${i}.txt`)).toBe(`file ${i}\n`);
      // Told it is a new disk, blat syncs it afresh; from then on it is an ordinary machine again, for both controllers.
      const fresh = await runBlat(['apply', '--auto-approve', '--new', 'm2'], { cwd: dirA });
      expect(fresh.code).toBe(0);
      for (let i = 0; i < 3; i++) expect(await box.read('m2', `docs/f${i}.txt`)).toBe(`file ${i}\n`);
      for (const dir of [dirA, dirB]) expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: dir })).code).toBe(0);
      const unknown = await runBlat(['plan', '--new', 'm9'], { cwd: dirA });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/^blat: --new m9: no such machine in /);
    } finally {
      await box.cleanup();
    }
  });
});
