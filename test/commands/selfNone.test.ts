// End to end: blat as a controller (self: none), a runner that holds no copy, over three machines
// reached by ssh: each file relayed through a staging folder in its state folder.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { readHeld, useDocsMachines, withoutMuxNoise } from './support.js';

const SSH = ['m1', 'm2', 'm3'];
const machines = useDocsMachines(SSH);

interface PlanDoc {
  self: string;
  steps: { action: string; path: string; from: string; to: string }[];
  conflicts: { path: string }[];
  deletions: { path: string; deletedOn: string[]; propagated: boolean }[];
  summary: Record<string, number>;
}

/** Three ssh machines, `self: none` (or `self` as given); blat run from an empty folder with an empty HOME, config by -c. */
async function controllerBox(self = 'none'): Promise<{ box: Sandbox; run: (args: readonly string[], env?: Record<string, string>) => ReturnType<typeof runBlat>; work: string; home: string }> {
  const box = await makeSandbox({ sshd: machines.sshd, ssh: SSH, local: [], self, paths: ['docs'] });
  const work = join(box.dir, 'work');
  const home = join(box.dir, 'home');
  await mkdir(work);
  await mkdir(home);
  const run = (args: readonly string[], env: Record<string, string> = {}) => runBlat(['-c', box.configFile, ...args], { cwd: work, env: { HOME: home, ...env } });
  return { box, run, work, home };
}

/** Every name under `dir`, recursively (relative), but those under `skip`. */
async function listAll(dir: string, skip: readonly string[] = []): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (skip.includes(path)) continue;
      out.push(path);
      if (e.isDirectory()) await walk(path);
    }
  };
  await walk('');
  return out.sort();
}

function steps(plan: PlanDoc): string[] {
  return plan.steps.map((s) => `${s.action} ${s.path} ${s.from}>${s.to}`);
}

describe.concurrent('a controller (self: none)', () => {
  it('plans copies between the machines, applies them through its state folder, and converges all three', async () => {
    const { box, run, work, home } = await controllerBox();
    try {
      await box.write('m1', 'docs/a.txt', 'first\n', 1700000000);
      await box.write('m1', 'docs/gone.txt', 'soon gone\n', 1700000000);
      const first = await run(['plan', '--json']);
      expect(first.code).toBe(0);
      const p1 = JSON.parse(first.stdout) as PlanDoc;
      expect(p1.self).toBe('none');
      expect(steps(p1)).toEqual(['copy docs m1>m2', 'copy docs m1>m3', 'copy docs/a.txt m1>m2', 'copy docs/a.txt m1>m3', 'copy docs/gone.txt m1>m2', 'copy docs/gone.txt m1>m3']);
      const applied = await run(['apply', '--auto-approve']);
      expect(withoutMuxNoise(applied.stderr)).toBe('');
      expect(applied.code).toBe(0);
      for (const m of SSH) expect(await box.read(m, 'docs/a.txt')).toBe('first\n');

      // An edit on m2, a new file on m3, a deletion on m1.
      await box.write('m2', 'docs/a.txt', 'edited on m2\n', 1700000100);
      await box.write('m3', 'docs/new.txt', 'new on m3\n', 1700000200);
      await box.remove('m1', 'docs/gone.txt');
      const text = await run(['plan']);
      expect(text.stdout).toMatch(/copy +│? *docs\/a\.txt.*m2 → m1/);
      expect(text.stdout).toMatch(/this runner holds no copy/);
      expect(text.stdout).toMatch(/Plan: 0 to pull, 0 to push, 4 to copy, 0 deferred, 0 conflicts, 1 deletions held/);
      const p2 = JSON.parse((await run(['plan', '--json'])).stdout) as PlanDoc;
      expect(steps(p2)).toEqual(['copy docs/a.txt m2>m1', 'copy docs/a.txt m2>m3', 'copy docs/new.txt m3>m1', 'copy docs/new.txt m3>m2']);
      expect(p2.deletions).toEqual([{ path: 'docs/gone.txt', deletedOn: ['m1'], heldOn: ['m2', 'm3'], propagated: false }]);
      expect(p2.summary.copy).toBe(4);
      const md = await run(['plan', '--markdown']);
      expect(md.stdout).toMatch(/copy to m1: 2 files/);

      const runnerBefore = await listAll(box.dir, ['roots', '.blat']);
      const held = await run(['apply', '--auto-approve']);
      expect(withoutMuxNoise(held.stderr)).toBe('');
      expect(held.code).toBe(2); // the deletion is held
      expect(held.stdout).toMatch(/Not in sync: 1 held deletion/);
      for (const m of SSH) {
        expect(await box.read(m, 'docs/a.txt')).toBe('edited on m2\n');
        expect(await box.read(m, 'docs/new.txt')).toBe('new on m3\n');
      }
      expect(await box.exists('m2', 'docs/gone.txt')).toBe(true);
      // The version the edit replaced on m1 is in m1's trash.
      const trash = await readdir(join(box.root('m1'), '.blat-trash'));
      expect(trash).toHaveLength(1);
      expect(await box.read('m1', `.blat-trash/${trash[0]}/docs/a.txt`)).toBe('first\n');
      // Nothing written on the runner outside its state folder; no staging folder left in it.
      expect(await listAll(box.dir, ['roots', '.blat'])).toEqual(runnerBefore);
      expect(await listAll(work)).toEqual([]);
      expect(await listAll(home)).toEqual([]);
      expect(await readdir(join(box.dir, '.blat'))).not.toContain('staging');

      const propagated = await run(['apply', '--auto-approve', '--propagate-deletes']);
      expect(propagated.code).toBe(0);
      for (const m of SSH) expect(await box.exists(m, 'docs/gone.txt')).toBe(false);
      const same = [await readHeld(box, 'm1'), await readHeld(box, 'm2'), await readHeld(box, 'm3')];
      expect(same[1]).toEqual(same[0]);
      expect(same[2]).toEqual(same[0]);
      const final = await run(['plan', '--detailed-exitcode']);
      expect(final.code).toBe(0);
      expect(final.stdout).toMatch(/No changes\. Every machine is in sync/);
    } finally {
      await box.cleanup();
    }
  });
});
