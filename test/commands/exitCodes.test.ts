// Exit codes and last lines tell the truth, for plan --detailed-exitcode, apply and apply --resume
// alike: 0 only when every in-use machine answered and holds the same versions; 2 and "Not in
// sync: …" when anything remains. And the journal never lists what the plan shows in sync.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { readOwed, startBlatInBackground, useDocsMachines, waitFor, writeRandomFile } from './support.js';

const run = promisify(execFile);

const machines = useDocsMachines(['m1', 'm2']);

const lastLine = (stdout: string) => stdout.trimEnd().split('\n').at(-1);

async function synced(): Promise<Sandbox> {
  const box = await machines.sandbox();
  await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
  const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
  expect(r.code).toBe(0);
  expect(lastLine(r.stdout)).toBe('In sync: every machine answered and holds the same versions.');
  return box;
}

describe('a machine that does not answer', () => {
  it('keeps plan, apply and apply --resume from saying "in sync" or exiting 0', async () => {
    const box = await synced();
    try {
      await machines.sshd.setOffline('m2', true);
      // Nothing to do on the machines that answered: still not in sync.
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.code).toBe(2);
      expect(plan.stdout).not.toMatch(/in sync \(/i);
      expect(lastLine(plan.stdout)).toBe('Not in sync: m2 unreachable.');
      const idle = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(idle.code).toBe(2);
      expect(idle.stdout).not.toContain('Apply complete');
      expect(lastLine(idle.stdout)).toBe('Not in sync: m2 unreachable.');

      // Something new: m1 served, m2 owed it.
      await box.write('here', 'docs/b.txt', 'b\n', 1700000100);
      const apply = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(apply.code).toBe(2);
      expect(lastLine(apply.stdout)).toBe('Not in sync: m2 unreachable (1 path owed).');
      const resume = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(resume.code).toBe(2);
      expect(lastLine(resume.stdout)).toBe('Not in sync: m2 unreachable (1 path owed).');
    } finally {
      await machines.sshd.setOffline('m2', false);
      await box.cleanup();
    }
  });
});

describe('a plain apply that settles what the journal owed', () => {
  it('marks it settled: blat journal lists nothing once the plan shows it in sync', async () => {
    const box = await synced();
    try {
      await machines.sshd.setOffline('m2', true);
      await box.write('here', 'docs/b.txt', 'b\n', 1700000100);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(2);
      expect((await readOwed(box)).map((o) => `${o.machine} ${o.path} ${o.kind}`)).toEqual(['m2 docs/b.txt deferred']);

      // m2 back, holding the owed version already (copied by hand): the plan has nothing for it.
      await machines.sshd.setOffline('m2', false);
      await box.write('m2', 'docs/b.txt', 'b\n', 1700000100);
      const apply = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(apply.code).toBe(0);
      expect(lastLine(apply.stdout)).toBe('In sync: every machine answered and holds the same versions.');
      expect(await readOwed(box)).toEqual([]);
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
    } finally {
      await machines.sshd.setOffline('m2', false);
      await box.cleanup();
    }
  });

  it('marks it settled when it carries the step out itself', async () => {
    const box = await synced();
    try {
      await machines.sshd.setOffline('m2', true);
      await box.write('here', 'docs/b.txt', 'b\n', 1700000100);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(2);
      await machines.sshd.setOffline('m2', false);
      const apply = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(apply.code).toBe(0);
      expect(await box.read('m2', 'docs/b.txt')).toBe('b\n');
      expect(await readOwed(box)).toEqual([]);
    } finally {
      await machines.sshd.setOffline('m2', false);
      await box.cleanup();
    }
  });
});

describe('an error once transfers have begun', () => {
  // Mounting a tmpfs needs root.
  it.skipIf(process.getuid?.() !== 0)('is exit 2 with the summary, not 1: the state folder fills up (a full tmpfs) mid-transfer', async () => {
    const box = await makeSandbox({ sshd: machines.sshd, ssh: ['m1'], local: ['here'], self: 'here', paths: ['docs'], extraConfig: { stateDir: 'state' } });
    const state = join(box.dir, 'state');
    await mkdir(state);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', state]);
    let blat: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      // 256 KiB at 128 KiB/s (2 s): the state folder is filled while it is on its way.
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 256 * 1024);
      await box.writeConfig({ stateDir: 'state', machines: { m1: { bwlimit: 128 } } });
      // A new state folder: the roots are probed again first (the probe's folder in .blat-tmp is not the transfer's file).
      expect((await runBlat(['plan'], { cwd: box.dir })).code).toBe(0);
      blat = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      await waitFor('the partial file on m1', async () => ((await readdir(join(box.root('m1'), '.blat-tmp')).catch(() => [])).length > 0 ? true : undefined));
      await run('sh', ['-c', 'dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null; true', 'sh', state]);
      const ended = await blat.ended;

      expect(ended.code).toBe(2);
      // The journal's next record, or the bases after the transfers (staged in the state folder, or base.json): whichever the full disk refused first.
      expect(ended.stderr).toMatch(/^blat: .*\/state\/[\w./-]+: cannot (append to the journal|write) \(.*ENOSPC.*\)$/m);
      expect(ended.stdout).toMatch(/Apply finished: /);
      expect(ended.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Not in sync: .*apply stopped by an error \(run blat plan to see where the machines stand\)\.$/);
      expect(existsSync(join(state, 'lock'))).toBe(false);
    } finally {
      blat?.killGroup();
      await run('umount', ['-l', state]).catch(() => undefined);
      await box.cleanup();
    }
  });
});
