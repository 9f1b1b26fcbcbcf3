// Locks on the machines: an apply locks every machine it writes (ROOT/.blat/sets/NAME/lock), a
// blat of another controller refuses to write a locked machine and names the holder's host and
// pid, and no lock outlives its holder for long (a lease renewed while the apply runs, taken over
// once stallTimeout seconds old, or at once when its holder was a blat of this host that ended).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quoteShell } from '../../src/transport/shellQuote.js';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { readHeld, startBlatInBackground, useDocsMachines, waitFor, withoutMuxNoise, writeRandomFile } from './support.js';
import { makeToolSpy } from './toolSpy.js';

const machines = useDocsMachines(['m1', 'm2']);
const SET = 'docs-set';
const LOCK = `.blat/sets/${SET}/lock`;
/** The owner line another controller's blat would write: host, pid, run, time. */
const OTHER = 'other-host\t4242\tlq3x-4242\t2026-01-02T13:02:11.000Z';
const REFUSED_M2 = /^blat: m2 is being written by blat on other-host \(pid 4242, since (2026-01-02 )?13:02:11 UTC\); try again when it is done$/;

/** here (self, local), m1 and m2 over ssh, syncing docs as the set docs-set; `extra` merged into the config. */
function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: SET, ...extra };
}

function locksSandbox(extra: Record<string, unknown> = {}): Promise<Sandbox> {
  return makeSandbox({ sshd: machines.sshd, ssh: ['m1', 'm2'], local: ['here'], self: 'here', paths: ['docs'], extraConfig: config(extra) });
}

/** The lock folder of the set on a machine. */
function lockOf(box: Sandbox, machine: string): string {
  return join(box.root(machine), LOCK);
}

/** Writes a lock by hand on `machine`, as another controller's blat would have left it; `ageSeconds` back in time. */
async function writeForeignLock(box: Sandbox, machine: string, ageSeconds = 0): Promise<void> {
  await box.write(machine, `${LOCK}/owner`, `${OTHER}\n`, ageSeconds > 0 ? Math.floor(Date.now() / 1000) - ageSeconds : undefined);
}

/** Every machine's root as held now. */
async function readAll(box: Sandbox): Promise<Record<string, Awaited<ReturnType<typeof readHeld>>>> {
  return { here: await readHeld(box, 'here'), m1: await readHeld(box, 'm1'), m2: await readHeld(box, 'm2') };
}

/** True when no machine of the sandbox but `held` holds a lock of the set. */
function noLocksBut(box: Sandbox, held: string): boolean {
  return ['here', 'm1', 'm2'].every((m) => m === held || !existsSync(lockOf(box, m)));
}

/** True when no machine of the sandbox holds a lock of the set. */
function noLocks(box: Sandbox): boolean {
  return ['here', 'm1', 'm2'].every((m) => !existsSync(lockOf(box, m)));
}

// Independent sandboxes, mostly waiting (slowed transfers, leases, signals): run side by side.
describe.concurrent('machine locks', () => {
  it('a lock another controller holds on a machine the apply writes: exit 1 naming its host and pid, nothing changed anywhere, the locks taken released', async () => {
    const box = await locksSandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
      await writeForeignLock(box, 'm2');
      const before = await readAll(box);

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(1);
      const lines = withoutMuxNoise(r.stderr).trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(REFUSED_M2);

      expect(await readAll(box)).toEqual(before);
      expect(await readFile(join(lockOf(box, 'm2'), 'owner'), 'utf8')).toBe(`${OTHER}\n`);
      // m1's lock, taken, was released again; the apply never began.
      expect(existsSync(lockOf(box, 'm1'))).toBe(false);
      expect(existsSync(join(box.dir, '.blat', 'journal.jsonl'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('an apply with nothing to write (every machine answered "same" by its seen line) locks nothing: one ssh per machine, the scan', async () => {
    const box = await locksSandbox();
    const spy = await makeToolSpy();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      // The plan finds them alike and writes their seen lines: the next run meets "same" everywhere.
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
      await spy.reset();
      const idle = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, env: spy.env });
      expect(idle.code, idle.stderr).toBe(0);
      expect(idle.stdout).toMatch(/In sync: every machine answered and holds the same versions\.\n$/);
      expect(await spy.sshHosts()).toEqual(['m1', 'm2']);
      // Another blat's lock on m2 does not stop it (nothing is written there) ...
      await writeForeignLock(box, 'm2');
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      // A file new and alike everywhere: no step, but each machine's base gains it at the end; m2's
      // is held, said so, exit 2 (nothing was written on any machine).
      for (const m of ['here', 'm1', 'm2']) await box.write(m, 'docs/c.txt', 'c\n', 1700000050);
      const late = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(late.code).toBe(2);
      expect(withoutMuxNoise(late.stderr).trimEnd()).toMatch(REFUSED_M2);
      expect(noLocksBut(box, 'm2')).toBe(true);
      // ... and a change makes it a writer again: refused before anything is written.
      await box.write('here', 'docs/b.txt', 'b\n', 1700000100);
      const refused = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(refused.code).toBe(1);
      expect(withoutMuxNoise(refused.stderr).trimEnd()).toMatch(REFUSED_M2);
    } finally {
      await spy.cleanup();
      await box.cleanup();
    }
  });

  it('a machine no step writes is locked too, for its base is written at the end: refused while another blat holds it', async () => {
    const box = await locksSandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      // A new file here and on m2 alike: only m1 is stale; m2 only gets its base written.
      for (const m of ['here', 'm2']) await box.write(m, 'docs/b.txt', 'b\n', 1700000100);
      await writeForeignLock(box, 'm2');
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(withoutMuxNoise(r.stderr).trimEnd()).toMatch(REFUSED_M2);
      expect(await box.exists('m1', 'docs/b.txt')).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('a lock not renewed for stallTimeout seconds is taken over with a warning; the apply converges and leaves no lock', async () => {
    const box = await locksSandbox({ stallTimeout: 2 });
    try {
      await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
      await writeForeignLock(box, 'm1', 3600);
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/^warning: m1: took over the lock of blat on other-host \(pid 4242, since (2026-01-02 )?13:02:11 UTC\): not renewed for 36\d\d s \(stallTimeout 2 s\)$/m);
      for (const m of ['m1', 'm2']) expect(await box.read(m, 'docs/a.txt'), m).toBe('a\n');
      expect(noLocks(box)).toBe(true);
    } finally {
      await box.cleanup();
    }
  });

  it('a pull locks self too: refused while another blat holds self', async () => {
    const box = await locksSandbox();
    try {
      await box.write('m1', 'docs/a.txt', 'a\n', 1700000000);
      await writeForeignLock(box, 'here');
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(withoutMuxNoise(r.stderr).trimEnd()).toMatch(/^blat: here is being written by blat on other-host \(pid 4242, since .*\); try again when it is done$/);
      expect(await box.exists('here', 'docs/a.txt')).toBe(false);
      expect(await readFile(join(lockOf(box, 'here'), 'owner'), 'utf8')).toBe(`${OTHER}\n`);
      expect(existsSync(lockOf(box, 'm2'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('blat trash restore refuses a machine another blat holds', async () => {
    const box = await locksSandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
      await box.write('m1', 'docs/a.txt', 'old\n', 1600000000);
      await box.write('m1', '.blat-trash/2024-05-01T12-00-00-000Z/docs/a.txt', 'kept\n', 1500000000);
      await writeForeignLock(box, 'm1');
      const r = await runBlat(['trash', 'restore', 'docs/a.txt', '--machine', 'm1', '--run', '2024-05-01T12-00-00-000Z'], { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(withoutMuxNoise(r.stderr).trimEnd()).toMatch(/^blat: m1 is being written by blat on other-host \(pid 4242, since .*\); try again when it is done$/);
      expect(await box.read('m1', 'docs/a.txt')).toBe('old\n');
      expect(await box.read('m1', '.blat-trash/2024-05-01T12-00-00-000Z/docs/a.txt')).toBe('kept\n');
    } finally {
      await box.cleanup();
    }
  });

  it('interrupted (SIGTERM) the apply releases its locks; killed outright (a second signal), its locks are taken over at once by the next blat of this host', async () => {
    const box = await locksSandbox({ machines: { m1: { bwlimit: 128 }, m2: { bwlimit: 128 } } });
    let blat: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      await box.mkdir('here', 'docs');
      // 256 KiB at 128 KiB/s: stopped long before it is sent.
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 256 * 1024);
      blat = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      const first = blat;
      await waitFor('the locks on m1 and m2', async () => (existsSync(join(lockOf(box, 'm1'), 'owner')) && existsSync(join(lockOf(box, 'm2'), 'owner')) ? true : undefined));
      expect(await readFile(join(lockOf(box, 'm1'), 'owner'), 'utf8')).toMatch(new RegExp(`^${hostname()}\\t${first.pid}\\t`));
      process.kill(first.pid, 'SIGTERM');
      expect((await first.ended).code).toBe(143);
      expect(noLocks(box)).toBe(true);

      blat = startBlatInBackground(['apply', '--resume', '--auto-approve'], box.dir);
      const second = blat;
      await waitFor('the locks on m1 and m2', async () => (existsSync(join(lockOf(box, 'm1'), 'owner')) && existsSync(join(lockOf(box, 'm2'), 'owner')) ? true : undefined));
      process.kill(second.pid, 'SIGTERM');
      await waitFor('the first signal taken', async () => (second.stderrSoFar().includes('SIGTERM') ? true : undefined));
      process.kill(second.pid, 'SIGTERM');
      expect((await second.ended).code).toBe(143);
      // Ended at once: its locks stay, naming a process that is gone.
      expect(existsSync(lockOf(box, 'm1'))).toBe(true);

      await box.writeConfig(config()); // full speed
      const r = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^warning: m1: took over the lock of blat on ${hostname()} \\(pid ${second.pid}, since .*\\): that process has ended$`, 'm'));
      const original = await readFile(join(box.root('here'), 'docs', 'big.bin'));
      for (const m of ['m1', 'm2']) expect((await readFile(join(box.root(m), 'docs', 'big.bin'))).equals(original), m).toBe(true);
      expect(noLocks(box)).toBe(true);
    } finally {
      blat?.killGroup();
      await box.cleanup();
    }
  });

  it('SIGTERM while the locks are being taken: the takes are let finish, every lock is released, nothing written', async () => {
    const box = await locksSandbox();
    const bin = await mkdtemp(join(tmpdir(), 'blat-fake-rm-'));
    let blat: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      // A pull: self is locked, and its take removes its seen lines once the lock is made. That rm
      // (self's take runs here, with this PATH) holds the take there while the signal lands.
      await box.write('m1', 'docs/a.txt', 'a\n', 1700000000);
      await mkdir(dirname(lockOf(box, 'here')), { recursive: true });
      await writeFile(join(dirname(lockOf(box, 'here')), 'seen-000000000000'), 'left by an earlier plan\n');
      const taking = join(bin, 'taking');
      await writeFile(join(bin, 'rm'), `#!/bin/sh\ncase "$*" in *seen-*) : > ${quoteShell(taking)}; sleep 2;; esac\nexec /bin/rm "$@"\n`, { mode: 0o755 });
      blat = startBlatInBackground(['apply', '--auto-approve'], box.dir, { PATH: `${bin}:${process.env.PATH ?? ''}` });
      const running = blat;
      await waitFor("self's lock being taken", async () => (existsSync(taking) ? true : undefined));
      expect(existsSync(join(lockOf(box, 'here'), 'owner'))).toBe(true);
      process.kill(running.pid, 'SIGTERM');
      const end = await running.ended;
      expect(end.code, end.stderr).toBe(143);
      expect(noLocks(box)).toBe(true);
      expect(await box.exists('here', 'docs/a.txt')).toBe(false);
      expect(await box.exists('m2', 'docs/a.txt')).toBe(false);
    } finally {
      blat?.killGroup();
      await rm(bin, { recursive: true, force: true });
      await box.cleanup();
    }
  });

  it('the lease is renewed while the apply runs', async () => {
    const box = await locksSandbox({ stallTimeout: 2, machines: { m1: { bwlimit: 64 } } });
    let blat: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      await box.mkdir('here', 'docs');
      // 128 KiB at 64 KiB/s: about 2 s, renewed every 2/3 s.
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 128 * 1024);
      blat = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      const running = blat;
      let ended = false;
      void running.ended.finally(() => (ended = true));
      const owner = join(lockOf(box, 'm1'), 'owner');
      const taken = await waitFor('the lock on m1', async () => (await stat(owner).catch(() => undefined))?.mtimeMs);
      const renewed = await waitFor('the lock renewed, or the apply ended', async () => {
        const now = (await stat(owner).catch(() => undefined))?.mtimeMs;
        if (now !== undefined && now > taken) return true;
        return ended ? false : undefined;
      });
      expect(renewed).toBe(true);
      expect((await running.ended).code).toBe(0);
      expect(noLocks(box)).toBe(true);
    } finally {
      blat?.killGroup();
      await box.cleanup();
    }
  });

  it('two controllers: an apply from a second one (its own config, self and state folder) is refused while the first writes, naming its host and pid; once it is done, the second converges', async () => {
    const box = await locksSandbox({ machines: { m1: { bwlimit: 128 }, m2: { bwlimit: 128 } } });
    const secondConfig = join(box.dir, 'second', 'blat.yaml');
    await box.writeConfigAt(secondConfig, config({ self: 'm1' }));
    let first: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      await box.mkdir('here', 'docs');
      // 128 KiB at 128 KiB/s: still being sent when the first is stopped (its locks are taken before it sends).
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 128 * 1024);
      first = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      const pid = first.pid;
      await waitFor('the locks on m1 and m2', async () => (existsSync(join(lockOf(box, 'm1'), 'owner')) && existsSync(join(lockOf(box, 'm2'), 'owner')) ? true : undefined));
      // Held still (stopped) while the second tries: it cannot end meanwhile.
      process.kill(pid, 'SIGSTOP');
      let refused;
      try {
        refused = await runBlat(['apply', '--auto-approve'], { cwd: join(box.dir, 'second') });
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(refused.code).toBe(1);
      const since = '\\(pid ' + pid + ', since \\d\\d:\\d\\d:\\d\\d UTC\\); try again when it is done$';
      expect(withoutMuxNoise(refused.stderr)).toMatch(new RegExp(`^blat: m1 is being written by blat on ${hostname()} ${since}`, 'm'));
      expect(withoutMuxNoise(refused.stderr)).toMatch(new RegExp(`^blat: m2 is being written by blat on ${hostname()} ${since}`, 'm'));
      expect(existsSync(join(box.dir, 'second', '.blat', 'journal.jsonl'))).toBe(false);

      expect((await first.ended).code).toBe(0);
      expect(noLocks(box)).toBe(true);
      await box.write('m1', 'docs/new.txt', 'from m1\n', 1700000000);
      const r = await runBlat(['apply', '--auto-approve'], { cwd: join(box.dir, 'second') });
      expect(r.code).toBe(0);
      for (const m of ['here', 'm2']) expect(await box.read(m, 'docs/new.txt'), m).toBe('from m1\n');
      const original = await readFile(join(box.root('here'), 'docs', 'big.bin'));
      for (const m of ['m1', 'm2']) expect((await readFile(join(box.root(m), 'docs', 'big.bin'))).equals(original), m).toBe(true);
      expect(noLocks(box)).toBe(true);
    } finally {
      first?.killGroup();
      await box.cleanup();
    }
  });
});
