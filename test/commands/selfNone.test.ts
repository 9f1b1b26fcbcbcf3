// End to end: blat as a controller (self: none), a runner that holds no copy, over three machines
// reached by ssh: each file relayed through a staging folder in its state folder.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { REPO_DIR, runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { writeMtime } from '../helpers/tree.js';
import { endRsyncUnder, readHeld, readOwed, readSha256, startBlatInBackground, useDocsMachines, waitFor, withoutMuxNoise, writeRandomFile } from './support.js';

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
      // Each machine holds its base, naming the three machines; the runner is none of them.
      for (const m of SSH) {
        const sets = await readdir(join(box.root(m), '.blat', 'sets'));
        const head = await box.read(m, `.blat/sets/${sets[0]}/head`);
        expect(head, m).toMatch(/m1.*m2.*m3/s);
        expect(head, m).not.toMatch(/"none"/);
      }

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
      // Found alike: the machines' seen lines answer the next plan, with nothing sent; an edit is still seen,
      // the others' entries read from the controller's copy of one machine's listing (no second scan).
      const quiet = await run(['plan', '--detailed-exitcode', '--verbose']);
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toMatch(/every machine answered "same" by its seen line/);
      await box.write('m2', 'docs/a.txt', 'edited on m2 again\n', 1700009000);
      const edited = await run(['plan', '--verbose', '--json']);
      expect(edited.stderr).toMatch(/compared with the listing their seen lines stand for/);
      expect(edited.stderr).not.toMatch(/asked again/);
      expect(steps(JSON.parse(edited.stdout) as PlanDoc)).toEqual(['copy docs/a.txt m2>m1', 'copy docs/a.txt m2>m3']);
    } finally {
      await box.cleanup();
    }
  });

  it('--self none on the command line (and BLAT_SELF=none) makes a controller of a config whose self is a machine', async () => {
    const { box, run } = await controllerBox('m1');
    try {
      await box.write('m3', 'docs/a.txt', 'from m3\n', 1700000000);
      const onM1 = JSON.parse((await run(['plan', '--json'])).stdout) as PlanDoc;
      expect(onM1.self).toBe('m1');
      expect(onM1.steps.map((s) => s.action)).toContain('pull');
      const env = JSON.parse((await run(['plan', '--json'], { BLAT_SELF: 'none' })).stdout) as PlanDoc;
      expect(env.self).toBe('none');
      const flagged = JSON.parse((await run(['--self', 'none', 'plan', '--json'])).stdout) as PlanDoc;
      expect(flagged.self).toBe('none');
      expect(steps(flagged)).toEqual(['copy docs m3>m1', 'copy docs m3>m2', 'copy docs/a.txt m3>m1', 'copy docs/a.txt m3>m2']);
      const applied = await run(['--self', 'none', 'apply', '--auto-approve']);
      expect(withoutMuxNoise(applied.stderr)).toBe('');
      expect(applied.code).toBe(0);
      for (const m of SSH) expect(await box.read(m, 'docs/a.txt')).toBe('from m3\n');
      // Converged for any controller: the machines' own bases say so, from m1 as from none.
      expect((await run(['--self', 'none', 'plan', '--detailed-exitcode'])).code).toBe(0);
      expect((await run(['plan', '--detailed-exitcode'])).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('reports a conflict and overwrites nothing; --prefer MACHINE then copies that version, the other kept in trash', async () => {
    const { box, run } = await controllerBox();
    try {
      await box.write('m1', 'docs/f.txt', 'first\n', 1700000000);
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      await box.write('m1', 'docs/f.txt', 'edited on m1\n', 1700000100);
      await box.write('m2', 'docs/f.txt', 'edited on m2, later\n', 1700000200);
      const plan = JSON.parse((await run(['plan', '--json'])).stdout) as PlanDoc;
      expect(plan.conflicts.map((c) => c.path)).toEqual(['docs/f.txt']);
      expect(plan.steps).toEqual([]);
      const r = await run(['apply', '--auto-approve']);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/Not in sync: 1 conflict/);
      expect(await box.read('m1', 'docs/f.txt')).toBe('edited on m1\n');
      expect(await box.read('m2', 'docs/f.txt')).toBe('edited on m2, later\n');
      expect(await box.read('m3', 'docs/f.txt')).toBe('first\n');

      const preferred = await run(['apply', '--auto-approve', '--prefer', 'm1']);
      expect(preferred.code).toBe(0);
      for (const m of SSH) expect(await box.read(m, 'docs/f.txt')).toBe('edited on m1\n');
      const trash = await readdir(join(box.root('m2'), '.blat-trash'));
      expect(await box.read('m2', `.blat-trash/${trash[0]}/docs/f.txt`)).toBe('edited on m2, later\n');
    } finally {
      await box.cleanup();
    }
  });

  it('a saved plan: a source that no longer holds the winner, or a target changed since, is stale and left alone', async () => {
    const { box, run, work } = await controllerBox();
    try {
      await box.write('m1', 'docs/a.txt', 'a\n', 1700000000);
      await box.write('m1', 'docs/b.txt', 'b\n', 1700000000);
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      await box.write('m1', 'docs/a.txt', 'a, edited on m1\n', 1700000100);
      await box.write('m2', 'docs/b.txt', 'b, edited on m2\n', 1700000100);
      const saved = join(work, 'saved.plan');
      expect((await run(['plan', '--out', saved])).code).toBe(0);
      // After the plan: m1 edits a.txt again (the source no longer holds the winner); m3 edits b.txt (a target changed).
      await box.write('m1', 'docs/a.txt', 'a, edited again\n', 1700000300);
      await box.write('m3', 'docs/b.txt', 'b, edited on m3\n', 1700000300);
      const r = await run(['apply', saved]);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/stale +copy docs\/a\.txt m1 → m2/);
      expect(r.stdout).toMatch(/stale +copy docs\/b\.txt m2 → m3/);
      expect(await box.read('m2', 'docs/a.txt')).toBe('a\n');
      expect(await box.read('m3', 'docs/a.txt')).toBe('a\n');
      expect(await box.read('m3', 'docs/b.txt')).toBe('b, edited on m3\n');
      expect(existsSync(join(box.dir, '.blat', 'staging'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('a killed apply leaves its staging folder; the next run removes it, and the resume finishes every copy', async () => {
    const { box, run } = await controllerBox();
    try {
      // m1 sends slowly (4 MiB/s) so that the kill lands while a file is being pulled into the staging folder.
      await box.writeConfig({ self: 'none', machines: { m1: { bwlimit: 4096 } } });
      await box.mkdir('m1', 'docs');
      const big = join(box.root('m1'), 'docs', 'big.bin');
      await writeRandomFile(big, 8 * 1024 * 1024);
      await writeMtime(big, '1700000600.5');
      const sha = await readSha256(big);
      await box.mkdir('m2', 'docs');
      await box.mkdir('m3', 'docs');

      const bg = startBlatInBackground(['-c', box.configFile, 'apply', '--auto-approve'], join(box.dir, 'work'), { HOME: join(box.dir, 'home') });
      const temp = join(box.dir, '.blat', 'staging', '.blat-tmp');
      try {
        await waitFor('an rsync temporary file in the staging folder', async () => (await readdir(temp).catch(() => [] as string[])).find((n) => n.startsWith('big.bin.')));
      } finally {
        bg.killGroup();
      }
      expect((await bg.ended).signal).toBe('SIGKILL');
      await endRsyncUnder(box.dir);
      for (const m of ['m2', 'm3']) expect(await box.exists(m, 'docs/big.bin')).toBe(false);
      expect(existsSync(join(box.dir, '.blat', 'staging'))).toBe(true);
      const owed = await readOwed(box);
      expect(owed.map((o) => `${o.machine} ${o.path} ${o.kind}`).sort()).toEqual(['m2 docs/big.bin planned', 'm3 docs/big.bin planned']);

      await box.writeConfig({ self: 'none' });
      const resumed = await run(['apply', '--resume', '--auto-approve']);
      expect(resumed.stderr).toMatch(new RegExp(`^warning: removed stale lock of pid ${bg.pid} `, 'm'));
      expect(resumed.code).toBe(0);
      for (const m of SSH) {
        expect(await readSha256(join(box.root(m), 'docs', 'big.bin')), m).toBe(sha);
        expect((await box.stat(m, 'docs/big.bin')).mtimeNs, m).toBe(1700000600500000000n);
      }
      expect(await readOwed(box)).toEqual([]);
      expect(existsSync(join(box.dir, '.blat', 'staging'))).toBe(false);
      expect((await run(['plan', '--detailed-exitcode'])).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  }, 90_000);

  it('a leftover staging folder is removed by the next apply, and never taken for a machine', async () => {
    const { box, run } = await controllerBox();
    try {
      await box.write('m1', 'docs/a.txt', 'a\n', 1700000000);
      await mkdir(join(box.dir, '.blat', 'staging', 'docs'), { recursive: true });
      await writeFile(join(box.dir, '.blat', 'staging', 'docs', 'a.txt'), 'left over\n');
      const r = await run(['apply', '--auto-approve']);
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of SSH) expect(await box.read(m, 'docs/a.txt')).toBe('a\n');
      expect(existsSync(join(box.dir, '.blat', 'staging'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('Ctrl-C mid-pull: exit 130, the copies journalled as interrupted, the staging folder removed; the resume finishes', async () => {
    const { box, run } = await controllerBox();
    let bg: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      await box.writeConfig({ self: 'none', machines: { m1: { bwlimit: 1024 } } });
      await box.mkdir('m1', 'docs');
      await writeRandomFile(join(box.root('m1'), 'docs', 'big.bin'), 4 * 1024 * 1024);
      await box.mkdir('m2', 'docs');
      await box.mkdir('m3', 'docs');
      expect((await run(['plan'])).code).toBe(0); // the roots probed first, once
      bg = startBlatInBackground(['-c', box.configFile, 'apply', '--auto-approve'], join(box.dir, 'work'), { HOME: join(box.dir, 'home') });
      const temp = join(box.dir, '.blat', 'staging', '.blat-tmp');
      await waitFor('an rsync temporary file in the staging folder', async () => (await readdir(temp).catch(() => [] as string[])).find((n) => n.startsWith('big.bin.')));
      process.kill(bg.pid, 'SIGINT');
      const ended = await bg.ended;
      expect(ended.code).toBe(130);
      expect(ended.stdout).toMatch(/failed +copy docs\/big\.bin m1 → m2: not copied: the pull from m1 into the staging folder was failed \(.*interrupted/);
      expect(existsSync(join(box.dir, '.blat', 'staging'))).toBe(false);
      expect(existsSync(join(box.dir, '.blat', 'lock'))).toBe(false);
      for (const m of ['m2', 'm3']) expect(await box.exists(m, 'docs/big.bin')).toBe(false);
      expect((await readOwed(box)).map((o) => `${o.machine} ${o.path} ${o.kind}`)).toEqual(['m2 docs/big.bin failed', 'm3 docs/big.bin failed']);

      await box.writeConfig({ self: 'none' });
      const resumed = await run(['apply', '--resume', '--auto-approve']);
      expect(resumed.code).toBe(0);
      const sha = await readSha256(join(box.root('m1'), 'docs', 'big.bin'));
      for (const m of ['m2', 'm3']) expect(await readSha256(join(box.root(m), 'docs', 'big.bin')), m).toBe(sha);
      expect(await readOwed(box)).toEqual([]);
    } finally {
      bg?.killGroup();
      await box.cleanup();
    }
  }, 60_000);

  it('path arguments are relative to the roots; --keep-both keeps both versions on all three', async () => {
    const { box, run } = await controllerBox();
    try {
      await box.write('m1', 'docs/f.txt', 'first\n', 1700000000);
      await box.write('m1', 'docs/g.txt', 'g\n', 1700000000);
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      await box.write('m1', 'docs/f.txt', 'edited on m1\n', 1700000100);
      await box.write('m2', 'docs/f.txt', 'edited on m2, later\n', 1700000200);
      await box.write('m3', 'docs/g.txt', 'g, edited on m3\n', 1700000100);

      const narrowed = JSON.parse((await run(['plan', '--json', 'docs/g.txt'])).stdout) as PlanDoc;
      expect(steps(narrowed)).toEqual(['copy docs/g.txt m3>m1', 'copy docs/g.txt m3>m2']);
      const outside = await run(['plan', '/etc/passwd']);
      expect(outside.code).toBe(1);
      expect(outside.stderr).toMatch(/^blat: \/etc\/passwd: with self: none \(a controller\), name paths relative to the machines' roots/m);

      const both = JSON.parse((await run(['plan', '--json', '--keep-both', 'docs/f.txt'])).stdout) as PlanDoc;
      const copy = (both.steps[0] as { as?: string }).as as string;
      expect(copy).toMatch(/^docs\/f\.conflict-m1-\d{8}-\d{6}\.txt$/);
      expect(steps(both)).toEqual(['copy-aside docs/f.txt m1>m1', `copy ${copy} m1>m2`, `copy ${copy} m1>m3`, 'copy docs/f.txt m2>m1', 'copy docs/f.txt m2>m3']);
      const kept = await run(['apply', '--auto-approve', '--keep-both', 'docs/f.txt']);
      expect(withoutMuxNoise(kept.stderr)).toBe('');
      expect(kept.code).toBe(0);
      for (const m of SSH) {
        expect(await box.read(m, 'docs/f.txt'), m).toBe('edited on m2, later\n');
        expect(await box.read(m, copy), m).toBe('edited on m1\n');
      }
    } finally {
      await box.cleanup();
    }
  });

  it('restore copies a held deletion back from a machine holding it', async () => {
    const { box, run } = await controllerBox();
    try {
      await box.write('m1', 'docs/h.txt', 'h\n', 1700000000);
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      await box.remove('m2', 'docs/h.txt');
      const restored = await run(['restore', 'docs/h.txt', '--auto-approve']);
      expect(withoutMuxNoise(restored.stderr)).toBe('');
      expect(restored.stdout).toMatch(/copy +│? *docs\/h\.txt.*m1 → m2/);
      expect(restored.code).toBe(0);
      expect(await box.read('m2', 'docs/h.txt')).toBe('h\n');
      expect((await run(['plan', '--detailed-exitcode'])).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('apply --json: every event valid against the apply events schema, each copy a step event', async () => {
    const { box, run } = await controllerBox();
    try {
      const readSchema = async (name: string) => JSON.parse(await readFile(join(REPO_DIR, 'schemas', name), 'utf8')) as object;
      const ajv = new Ajv({ allErrors: true, strict: false });
      ajv.addSchema(await readSchema('plan.schema.json'));
      const validate = ajv.compile(await readSchema('apply-events.schema.json'));
      await box.write('m2', 'docs/a.txt', 'a\n', 1700000000);
      const r = await run(['apply', '--json', '--auto-approve']);
      expect(r.code).toBe(0);
      const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
      expect(events.filter((e) => e.event === 'step').map((e) => `${e.status} ${e.action} ${e.path} ${e.from}>${e.to}`).sort()).toEqual([
        'done copy docs m2>m1',
        'done copy docs m2>m3',
        'done copy docs/a.txt m2>m1',
        'done copy docs/a.txt m2>m3',
      ]);
      expect(events.at(-1)).toMatchObject({ event: 'summary', done: 4, files: 2, exitCode: 0 });
    } finally {
      await box.cleanup();
    }
  });

  it('locks the machines it writes: refused, nothing changed, while another blat holds one; the runner takes no lock of its own', async () => {
    const { box, run } = await controllerBox();
    try {
      await box.writeConfig({ self: 'none', name: 'docs-set' });
      await box.write('m1', 'docs/a.txt', 'a\n', 1700000000);
      const lock = '.blat/sets/docs-set/lock';
      await box.write('m3', `${lock}/owner`, 'other-host\t4242\tlq3x-4242\t2026-01-02T13:02:11.000Z\n');
      const r = await run(['apply', '--auto-approve']);
      expect(r.code).toBe(1);
      expect(withoutMuxNoise(r.stderr).trimEnd().split('\n')).toEqual([expect.stringMatching(/^blat: m3 is being written by blat on other-host \(pid 4242, since .*\); try again when it is done$/)]);
      for (const m of ['m2', 'm3']) expect(await box.exists(m, 'docs/a.txt')).toBe(false);
      for (const m of ['m1', 'm2']) expect(existsSync(join(box.root(m), lock))).toBe(false);

      await box.remove('m3', lock);
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      for (const m of SSH) expect(existsSync(join(box.root(m), lock))).toBe(false);
      expect(await listAll(join(box.dir, '.blat'))).not.toContain('staging');
    } finally {
      await box.cleanup();
    }
  });

  it('machines, diff and trash work from a controller, which is none of the machines', async () => {
    const { box, run } = await controllerBox();
    try {
      await box.write('m1', 'docs/a.txt', 'one\n', 1700000000);
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      await box.write('m2', 'docs/a.txt', 'two\n', 1700000100);
      expect((await run(['apply', '--auto-approve'])).code).toBe(0);
      const listed = await run(['machines']);
      expect(listed.code).toBe(0);
      for (const m of SSH) expect(listed.stdout).toMatch(new RegExp(`^│ ${m} +│ online`, 'm'));
      expect(listed.stdout).not.toMatch(/\(self\)/);
      await box.write('m3', 'docs/a.txt', 'three\n', 1700000200);
      const diff = await run(['diff', 'docs/a.txt', 'm1', 'm3']);
      expect(diff.stdout).toMatch(/^-two$/m);
      expect(diff.stdout).toMatch(/^\+three$/m);
      const trash = await run(['trash']);
      expect(trash.code).toBe(0);
      expect(trash.stdout).toMatch(/m1 .*docs\/a\.txt/);
    } finally {
      await box.cleanup();
    }
  });

  it('relays hostile names (spaces, a newline, quotes, $(...), a leading dash) byte for byte', async () => {
    const { box, run } = await controllerBox();
    try {
      const names = ['docs/a b.txt', 'docs/new\nline.txt', `docs/q'u"o.txt`, 'docs/$(touch pwned).txt', 'docs/-rf', 'docs/sub dir/-x y'];
      for (const [i, n] of names.entries()) await box.write('m2', n, `content ${i}\n`, 1700000000 + i);
      const r = await run(['apply', '--auto-approve']);
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      const reference = await readHeld(box, 'm2');
      for (const m of ['m1', 'm3']) expect(await readHeld(box, m), m).toEqual(reference);
      expect(existsSync(join(box.dir, 'work', 'pwned'))).toBe(false);
      expect(existsSync(join(box.dir, '.blat', 'staging'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});

