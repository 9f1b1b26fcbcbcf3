// End to end: decisions that cannot silently drop an edit — creations since the last sync,
// exact versions, modes, versions dated in the future — against a real sshd and rsync.
import { chmod, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { useDocsMachines } from './support.js';

const SSH = ['m1', 'm2'];
const ALL = ['here', ...SSH];
const machines = useDocsMachines(SSH);

/** A sandbox where every machine holds docs/a.txt and a first apply has synced them. */
async function syncedSandbox(): Promise<Sandbox> {
  const box = await machines.sandbox();
  await box.write('here', 'docs/a.txt', 'alpha\n', '1700000000.100000000');
  const first = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
  expect(first.code).toBe(0);
  return box;
}

const read = (box: Sandbox, m: string, p: string) => readFile(join(box.root(m), p), 'utf8');

describe.concurrent('blat: a path created on two machines since the last sync', () => {
  it('is a conflict: plan exits 2 naming both, and apply leaves both versions in place', async () => {
    const box = await syncedSandbox();
    try {
      // m1's creation is the newer one: "newest wins" would have put it everywhere.
      await box.write('m2', 'docs/new.txt', 'created on m2, a longer text\n', '1700001000.5');
      await box.write('m1', 'docs/new.txt', 'created on m1\n', '1700002000.25');
      // Planned from the copy of the listing the first apply found alike (a partial snapshot), and from every listing.
      const plan = await runBlat(['plan', '--detailed-exitcode', '--verbose'], { cwd: box.dir });
      expect(plan.stderr).toMatch(/compared with the listing their seen lines stand for/);
      expect(plan.code).toBe(2);
      expect(plan.stdout).toMatch(/Conflicts \(1\)/);
      expect(plan.stdout).toMatch(/created on m1 and m2/);
      await rm(join(box.dir, '.blat', 'seen.json'));
      const whole = await runBlat(['plan', '--detailed-exitcode', '--verbose'], { cwd: box.dir });
      expect(whole.stderr).not.toMatch(/compared with/);
      expect(whole.code).toBe(2);
      expect(whole.stdout).toMatch(/created on m1 and m2/);

      await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(await read(box, 'm1', 'docs/new.txt')).toBe('created on m1\n');
      expect(await read(box, 'm2', 'docs/new.txt')).toBe('created on m2, a longer text\n');
      await expect(stat(join(box.root('here'), 'docs/new.txt'))).rejects.toThrow();
      // Still a conflict afterwards: the apply settled nothing for it.
      const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(again.code).toBe(2);
      expect(again.stdout).toMatch(/created on m1 and m2/);
      // --prefer MACHINE resolves it.
      const resolved = await runBlat(['apply', '--auto-approve', '--prefer', 'm2'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(resolved.code).toBe(0);
      for (const m of ALL) expect(await read(box, m, 'docs/new.txt')).toBe('created on m2, a longer text\n');
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat: exact versions', () => {
  it('a same-size edit 0.1 s after the sync is planned as a change and applied', async () => {
    const box = await syncedSandbox();
    try {
      await box.write('here', 'docs/a.txt', 'ALPHA\n', '1700000000.200000000');
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.code).toBe(2);
      expect(plan.stdout).toMatch(/Steps \(2\)/);
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(r.stdout).toMatch(/Apply complete: [^;]*; 2 done/);
      expect(r.code).toBe(0);
      for (const m of SSH) expect(await read(box, m, 'docs/a.txt')).toBe('ALPHA\n');
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat: modes', () => {
  it('chmod 755 on one machine after a sync is planned as a push and applied: the mode arrives', async () => {
    const box = await syncedSandbox();
    try {
      await chmod(join(box.root('here'), 'docs/a.txt'), 0o755);
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.code).toBe(2);
      expect(plan.stdout).toMatch(/Steps \(2\)/);
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(r.code).toBe(0);
      for (const m of SSH) expect((await stat(join(box.root(m), 'docs/a.txt'))).mode & 0o7777).toBe(0o755);
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('perms: ignore on a machine: its modes are not compared, and none are set on it', async () => {
    const box = await syncedSandbox();
    try {
      await box.writeConfig({ machines: { m2: { perms: 'ignore' } } });
      await chmod(join(box.root('m2'), 'docs/a.txt'), 0o600);
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.stdout).toMatch(/No changes/);
      expect(plan.code).toBe(0);
      // A mode change elsewhere goes to m1, not to m2, whose mode stays its own.
      await chmod(join(box.root('here'), 'docs/a.txt'), 0o755);
      await box.write('here', 'docs/b.txt', 'bee\n', '1700000100.5');
      await chmod(join(box.root('here'), 'docs/b.txt'), 0o640);
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(r.code).toBe(0);
      expect((await stat(join(box.root('m1'), 'docs/a.txt'))).mode & 0o7777).toBe(0o755);
      expect((await stat(join(box.root('m2'), 'docs/a.txt'))).mode & 0o7777).toBe(0o600);
      expect(await read(box, 'm2', 'docs/b.txt')).toBe('bee\n');
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('perms: ignore on a machine: its new and edited files reach the others through here with here’s modes, done and in sync', async () => {
    const box = await syncedSandbox();
    try {
      await box.writeConfig({ machines: { m2: { perms: 'ignore' } } });
      // On m2 (modes that do not count there): pulled to here, then pushed to m1 with the modes here gave them.
      await box.write('m2', 'docs/a.txt', 'edited on m2\n', '1700000200');
      await chmod(join(box.root('m2'), 'docs/a.txt'), 0o600);
      await box.write('m2', 'docs/c.txt', 'new on m2\n', '1700000300');
      await chmod(join(box.root('m2'), 'docs/c.txt'), 0o600);
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(r.stdout).not.toContain('Not done');
      expect(r.code).toBe(0);
      expect(await read(box, 'm1', 'docs/a.txt')).toBe('edited on m2\n');
      expect(await read(box, 'm1', 'docs/c.txt')).toBe('new on m2\n');
      const hereMode = (await stat(join(box.root('here'), 'docs/c.txt'))).mode & 0o7777;
      expect((await stat(join(box.root('m1'), 'docs/c.txt'))).mode & 0o7777).toBe(hereMode);
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat: a version dated in the future', () => {
  it('is flagged in the plan (text and JSON), and --prefer newest does not let it win', async () => {
    const box = await syncedSandbox();
    try {
      const future = Math.floor(Date.now() / 1000) + 86_400;
      await box.write('here', 'docs/a.txt', 'edited here\n', '1700000500.5');
      await box.write('m1', 'docs/a.txt', 'dated tomorrow on m1\n', `${future}.25`);
      const plan = await runBlat(['plan', '--detailed-exitcode', '--prefer', 'newest'], { cwd: box.dir, env: { COLUMNS: '300' } });
      expect(plan.code).toBe(2);
      expect(plan.stdout).toMatch(/Warnings \(1\)/);
      expect(plan.stdout).toMatch(/docs\/a\.txt: dated .* on m1, in the future/);
      expect(plan.stdout).toMatch(/--prefer newest does not pick it/);
      const json = JSON.parse((await runBlat(['plan', '--json'], { cwd: box.dir })).stdout);
      expect(json.warnings).toEqual([{ kind: 'future', path: 'docs/a.txt', machine: 'm1', mtime: future + 0.25 }]);
      await runBlat(['apply', '--auto-approve', '--prefer', 'newest'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(await read(box, 'here', 'docs/a.txt')).toBe('edited here\n');
      expect(await read(box, 'm2', 'docs/a.txt')).toBe('alpha\n');
    } finally {
      await box.cleanup();
    }
  });
});
