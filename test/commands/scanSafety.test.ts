// End to end, against the real sshd and rsync: what a scan could not see is never taken for
// "deleted" or "in sync" (a folder the login user may not read, a root that is not there).
import { chmod, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { useDocsMachines } from './support.js';

const SSH = ['m1', 'm2'];
const machines = useDocsMachines(SSH);

/** docs/p/{a,b}.txt and docs/q.txt on every machine, synced by an apply. */
async function seedSynced(box: Sandbox): Promise<void> {
  await box.write('here', 'docs/p/a.txt', 'a\n', 1_700_000_001);
  await box.write('here', 'docs/p/b.txt', 'b\n', 1_700_000_002);
  await box.write('here', 'docs/q.txt', 'q\n', 1_700_000_003);
  expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
  for (const m of SSH) expect(await box.read(m, 'docs/p/a.txt')).toBe('a\n');
}

async function readTrash(box: Sandbox, machine: string): Promise<string[]> {
  return readdir(join(box.root(machine), '.blat-trash')).catch(() => []);
}

// Independent sandboxes, several waiting on a stall timeout or an unreadable folder's scan: run side by side.
describe.concurrent('what a scan must never take for a deletion or a file', () => {
  describe('a folder the scan cannot read on one machine (chmod 000, scanned over ssh as an unprivileged user)', () => {
    it('is a warning: nothing under it is trashed or written anywhere, even with --propagate-deletes, and the plan is not "in sync"', async () => {
      const box = await machines.sandbox();
      const locked = join(box.root('m1'), 'docs/p');
      try {
        await seedSynced(box);
        // A plan in sync writes the machines' seen lines: their "same" answer must not hide the folder.
        const synced = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
        expect(synced.stdout).toMatch(/No changes/);
        await chmod(locked, 0o000);
        await box.write('here', 'docs/p/new.txt', 'new\n', 1_700_000_100);

        const plan = await runBlat(['plan', '--propagate-deletes', '--detailed-exitcode'], { cwd: box.dir });
        expect(plan.code).toBe(2);
        expect(plan.stdout).toMatch(/Warnings \(1\)/);
        expect(plan.stdout).toContain("docs/p on m1: could not read (permission denied)");
        expect(plan.stdout).not.toMatch(/Every machine is in sync|^In sync|\d+ to trash|Deletions/m);
        expect(plan.stderr).toContain('m1: could not read docs/p (permission denied)');

        const json = JSON.parse((await runBlat(['plan', '--json', '--propagate-deletes'], { cwd: box.dir })).stdout);
        expect(json.warnings).toEqual([{ kind: 'unreadable', machine: 'm1', path: 'docs/p', reason: 'permission denied' }]);
        expect(json.steps).toEqual([]);
        expect(json.deletions).toEqual([]);

        // m1's listing cannot be compared with the copy now (a folder it could not read): every listing is read.
        const applied = await runBlat(['apply', '--auto-approve', '--propagate-deletes', '--verbose'], { cwd: box.dir });
        expect(applied.stderr).toMatch(/every listing is read/);
        for (const m of ['here', 'm2']) {
          expect(await box.read(m, 'docs/p/a.txt')).toBe('a\n');
          expect(await box.read(m, 'docs/p/b.txt')).toBe('b\n');
          expect(await readTrash(box, m)).toEqual([]);
        }
        expect(await box.exists('m2', 'docs/p/new.txt')).toBe(false);

        // Readable again: m1 still holds its copies, the new file goes everywhere, nothing was lost.
        await chmod(locked, 0o755);
        const after = await runBlat(['apply', '--auto-approve', '--propagate-deletes'], { cwd: box.dir });
        expect(after.code).toBe(0);
        for (const m of SSH) expect(await box.read(m, 'docs/p/new.txt')).toBe('new\n');
        expect(await box.read('m1', 'docs/p/a.txt')).toBe('a\n');
        expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
      } finally {
        await chmod(locked, 0o755).catch(() => undefined);
        await box.cleanup();
      }
    });
  });

  describe('a folder the scan cannot read, met by a run that compares listings with a reference (kept unparsed)', () => {
    it.each([
      ['an apply right after a complete one (the seen lines it wrote)', ['apply', '--auto-approve', '--propagate-deletes', '--json'], false],
      ['a plan after one that found every machine alike (the seen lines)', ['plan', '--propagate-deletes', '--json'], true],
    ])('%s: a warning, nothing under it taken for deleted, nothing trashed', async (_what, args, planFirst) => {
      const box = await machines.sandbox();
      const locked = join(box.root('m1'), 'docs/p');
      try {
        await seedSynced(box);
        if (planFirst) expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
        await chmod(locked, 0o000);
        await box.write('here', 'docs/q.txt', 'q, edited\n', 1_700_000_100);
        const r = await runBlat(args, { cwd: box.dir });
        const lines = r.stdout.trim().split('\n');
        const plan = (args[0] === 'plan' ? JSON.parse(r.stdout) : (JSON.parse(lines[0]) as { plan: unknown }).plan) as { warnings: unknown[]; deletions: unknown[]; steps: { path: string }[] };
        expect(plan.warnings).toEqual([{ kind: 'unreadable', machine: 'm1', path: 'docs/p', reason: 'permission denied' }]);
        expect(plan.deletions).toEqual([]);
        expect(plan.steps.map((s) => s.path)).toEqual(['docs/q.txt', 'docs/q.txt']);
        for (const m of ['here', 'm2']) {
          expect(await box.read(m, 'docs/p/a.txt')).toBe('a\n');
          // Only the replaced docs/q.txt is kept in trash (an apply), never anything of docs/p.
          for (const run of await readTrash(box, m)) expect(await readdir(join(box.root(m), '.blat-trash', run, 'docs'))).toEqual(['q.txt']);
        }
      } finally {
        await chmod(locked, 0o755).catch(() => undefined);
        await box.cleanup();
      }
    });
  });

  describe('a folder the scan cannot read, in the macOS form of the scan (find -print0 | perl) over ssh', () => {
    it('is a warning too, and nothing under it is planned', async () => {
      const box = await machines.sandbox();
      const locked = join(box.root('m1'), 'docs/p');
      try {
        await seedSynced(box);
        await box.writeConfig({ machines: { m1: { os: 'darwin' } } });
        await chmod(locked, 0o000);
        const plan = await runBlat(['plan', '--json', '--propagate-deletes'], { cwd: box.dir });
        const json = JSON.parse(plan.stdout);
        expect(json.warnings).toEqual([{ kind: 'unreadable', machine: 'm1', path: 'docs/p', reason: 'permission denied' }]);
        expect(json.steps).toEqual([]);
        expect(json.deletions).toEqual([]);
      } finally {
        await chmod(locked, 0o755).catch(() => undefined);
        await box.cleanup();
      }
    });
  });

  describe('a machine that answers but whose root does not exist', () => {
    it('is reported as "root missing", not offline, in the plan and in `blat machines`, and the plan is not "in sync"', async () => {
      const box = await machines.sandbox();
      try {
        await seedSynced(box);
        await rename(box.root('m2'), `${box.root('m2')}.unmounted`);
        const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
        expect(plan.code).toBe(2);
        expect(plan.stdout).toContain('root missing: disk not mounted, or a wrong root?');
        expect(plan.stdout).not.toMatch(/offline|Every machine is in sync|^In sync/m);
        const json = JSON.parse((await runBlat(['plan', '--json'], { cwd: box.dir })).stdout);
        expect(json.machines.find((m: { name: string }) => m.name === 'm2')).toMatchObject({ rootMissing: true });

        const listed = await runBlat(['machines'], { cwd: box.dir });
        expect(listed.stdout).toMatch(/m2\s+│\s+root missing/);
        expect(listed.stdout).not.toMatch(/m2[^\n]*offline/);
        const doc = JSON.parse((await runBlat(['machines', '--json'], { cwd: box.dir })).stdout);
        expect(doc.machines.find((m: { name: string }) => m.name === 'm2')).toMatchObject({ state: 'offline', rootMissing: true });
        // Nothing was made where the root should be.
        expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).not.toBe(1);
        expect(await readdir(join(box.dir, 'roots'))).not.toContain('m2 root');
      } finally {
        await box.cleanup();
      }
    });
  });

  describe('a state folder inside a sync path', () => {
    it('is never scanned nor sent (a folder sent whole included): the machines are in sync after an apply, and only self holds the state', async () => {
      const box = await machines.sandbox();
      try {
        const stateDir = join(box.root('here'), 'docs/big/.state');
        await box.writeConfig({ stateDir });
        // Enough files for docs/big to go whole (one recursive rsync per machine).
        for (let i = 0; i < 70; i++) await box.write('here', `docs/big/f${i}.txt`, `${i}\n`, 1_700_000_000 + i);
        await box.write('here', 'docs/a.txt', 'a\n', 1_700_000_100);
        const applied = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
        expect(applied.code).toBe(0);
        expect(await readdir(stateDir)).toContain('base.json');
        for (const m of SSH) {
          expect(await box.read(m, 'docs/big/f69.txt')).toBe('69\n');
          expect(await box.exists(m, 'docs/big/.state')).toBe(false);
        }
        for (const args of [['plan', '--detailed-exitcode'], ['apply', '--auto-approve'], ['plan', '--detailed-exitcode']]) {
          const r = await runBlat(args, { cwd: box.dir });
          expect(r.stdout).toMatch(/No changes|in sync/);
          expect(r.code).toBe(0);
        }
        for (const m of SSH) expect(await box.exists(m, 'docs/big/.state')).toBe(false);
      } finally {
        await box.cleanup();
      }
    });
  });

  describe('a temporary file a dead transfer left on a machine', () => {
    it('is removed by the next apply that writes there, once unmodified for longer than the stall timeout', async () => {
      const box = await machines.sandbox();
      try {
        await seedSynced(box);
        // What a killed remote rsync leaves: .blat-tmp/.NAME.XXXXXX, last written 5 minutes ago.
        await box.write('m1', '.blat-tmp/.f.txt.Qw3rTy', 'partial', Math.floor(Date.now() / 1000) - 300);
        await box.write('here', 'docs/q.txt', 'q changed\n', 1_700_000_500);
        expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
        expect(await box.read('m1', 'docs/q.txt')).toBe('q changed\n');
        expect(await box.exists('m1', '.blat-tmp/.f.txt.Qw3rTy')).toBe(false);
      } finally {
        await box.cleanup();
      }
    });
  });
});
