// A machine that stops answering mid-run (its find or rsync SIGSTOPped for real) is given up after
// stallTimeout seconds: reported stalled, the other machines served, the lock released, exit 2.
import { existsSync } from 'node:fs';
import { link, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { readLoginUser } from '../helpers/provided.js';
import { readOwed, startBlatInBackground, useDocsMachines, waitFor, writeRandomFile } from './support.js';

const machines = useDocsMachines(['m1', 'm2']);

/** here (self, local), m1 and m2 over ssh, syncing docs, giving a machine up after `stallTimeout` s of silence. */
function stallSandbox(stallTimeout = 2): Promise<Sandbox> {
  return makeSandbox({ sshd: machines.sshd, ssh: ['m1', 'm2'], local: ['here'], self: 'here', paths: ['docs'], extraConfig: { stallTimeout } });
}

/**
 * Makes `count` names under docs/many on a machine, all hard links to one empty file: a scan long
 * enough to be caught running (find walks each name), made in a second where `count` new files
 * took about 8 s on this disk.
 */
async function makeManyFiles(box: Sandbox, machine: string, count: number): Promise<void> {
  await box.write(machine, 'docs/many/f1', ''); // owned like the machine's root, and so its links
  const first = join(box.root(machine), 'docs', 'many', 'f1');
  for (let i = 2; i <= count; i += 500) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(i + 500, count + 1); j++) batch.push(link(first, join(box.root(machine), 'docs', 'many', `f${j}`)));
    await Promise.all(batch);
  }
}

/**
 * Stops (SIGSTOP) the scan of `machine` as soon as it is seen running (its find, or the shell
 * around it), until `over()`; the pids stopped. The walk of 20,000 names lasts tens of
 * milliseconds: on a busy machine this poll may miss it (none stopped), and the caller tries again.
 */
async function stopScan(box: Sandbox, machine: string, before: ReadonlySet<string>, over: () => boolean): Promise<number[]> {
  const stopped: number[] = [];
  while (!over() && stopped.length === 0) {
    const pids = await readRemotePids(box.root(machine), ['find', 'xargs', 'sh'], before);
    signal(pids, 'SIGSTOP');
    stopped.push(...pids);
  }
  return stopped;
}

/** How many times a test starts the scan it must catch before it gives up. */
const ATTEMPTS = 5;

/** The pids there are now. */
async function readPids(): Promise<Set<string>> {
  return new Set(await readdir('/proc'));
}

/**
 * Pids, but those in `before`, of the login user's processes named one of `names` working under
 * `dir` (the remote side of a machine: other test files' processes of that user work elsewhere).
 */
async function readRemotePids(dir: string, names: readonly string[], before: ReadonlySet<string> = new Set()): Promise<number[]> {
  const uid = readLoginUser().uid;
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || before.has(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (!names.includes(comm.trim())) continue;
    const [status, cwd] = await Promise.all([readFile(`/proc/${entry}/status`, 'utf8').catch(() => ''), readlink(`/proc/${entry}/cwd`).catch(() => '')]);
    if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid) continue;
    if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(entry));
  }
  return pids;
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
  }
}

/** Ends the processes a test stopped: SIGKILL (which a stopped process takes), then SIGCONT. */
function endStopped(pids: readonly number[]): void {
  signal(pids, 'SIGKILL');
  signal(pids, 'SIGCONT');
}

describe('a machine that stops answering', () => {
  it('during the scan (its find stopped): given up as stalled, the plan ends, exit 2', async () => {
    const box = await stallSandbox();
    const stopped: number[] = [];
    try {
      await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
      await box.write('m2', 'docs/a.txt', 'a\n', 1700000000);
      // Probe the roots first (once, kept in state.json): the find stopped below is the scan's, not the probe's.
      await runBlat(['plan'], { cwd: box.dir });
      await makeManyFiles(box, 'm1', 20_000);
      let r: Awaited<ReturnType<typeof runBlat>> | undefined;
      // A plan whose scan was not caught changes nothing: it is simply run again.
      for (let attempt = 1; attempt <= ATTEMPTS && stopped.length === 0; attempt++) {
        const before = await readPids();
        const planning = runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir, timeoutMs: 30_000 });
        let done = false;
        void planning.finally(() => (done = true));
        stopped.push(...(await stopScan(box, 'm1', before, () => done)));
        r = await planning;
      }
      expect(stopped.length, `the scan of m1 was caught running (${ATTEMPTS} tries)`).toBeGreaterThan(0);
      expect(r?.code).toBe(2);
      expect(r?.stdout).toMatch(/^ {2}m1 +offline \(stalled \(no answer for 2 s\)\)$/m);
      expect(r?.stdout).toMatch(/^ {2}m2 +online/m);
      expect(r?.stdout).not.toMatch(/in sync \(/);
      expect(r?.stdout.trimEnd().split('\n').at(-1)).toBe('Not in sync: m1 stalled (2 paths owed).');
    } finally {
      endStopped(stopped);
      await box.cleanup();
    }
  });

  it('during a push (its rsync stopped): the step fails as stalled and stays owed, the others are served, the lock released, exit 2', async () => {
    const box = await stallSandbox();
    const stopped: number[] = [];
    try {
      await box.write('here', 'docs/small.txt', 's\n', 1700000000);
      await box.write('m1', 'docs/small.txt', 's\n', 1700000000);
      await box.write('m2', 'docs/small.txt', 's\n', 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      // 1 MiB at 512 KiB/s: about 2 s to send, time enough to stop the receiver half-way.
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 1024 * 1024);
      await box.writeConfig({ stallTimeout: 2, machines: { m1: { bwlimit: 512 }, m2: { bwlimit: 512 } } });
      const applying = runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 30_000 });
      let done = false;
      void applying.finally(() => (done = true));
      const pids = await waitFor('the rsync receiving on m1', async () => {
        const found = await readRemotePids(box.root('m1'), ['rsync']);
        return found.length > 0 || done ? found : undefined;
      });
      signal(pids, 'SIGSTOP');
      stopped.push(...pids);
      expect(stopped.length).toBeGreaterThan(0);

      const r = await applying;
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/failed +push docs\/big\.bin here → m1: rsync here → m1: stalled \(no answer for 2 s\)/);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Not in sync: 1 failed.');
      // m2 was served; m1's copy stays owed; the lock is gone.
      expect(await readFile(join(box.root('m2'), 'docs', 'big.bin'))).toEqual(await readFile(join(box.root('here'), 'docs', 'big.bin')));
      expect(existsSync(join(box.dir, '.blat', 'lock'))).toBe(false);
      const owed = await readOwed(box);
      expect(owed.map((o) => `${o.machine} ${o.path} ${o.kind}`)).toEqual(['m1 docs/big.bin failed']);
      expect(owed[0].reason).toContain('stalled (no answer for 2 s)');
    } finally {
      endStopped(stopped);
      await box.cleanup();
    }
  });

  it('and SIGTERM while apply waits for its scan: blat ends at once (143), nothing changed, the lock gone', async () => {
    // An apply whose scan was not caught goes on to change the machines: it is killed once it prints
    // its plan (the scans are over), and the test starts again on a new sandbox.
    for (let attempt = 1; ; attempt++) {
      const box = await stallSandbox(60);
      const stopped: number[] = [];
      let blat: ReturnType<typeof startBlatInBackground> | undefined;
      try {
        await box.write('here', 'docs/a.txt', 'a\n', 1700000000);
        // Probe the roots first (once, kept in state.json): the find stopped below is the scan's, not the probe's.
        await runBlat(['plan'], { cwd: box.dir });
        await makeManyFiles(box, 'm1', 20_000);
        const before = await readPids();
        blat = startBlatInBackground(['apply', '--auto-approve'], box.dir);
        const started = blat;
        let done = false;
        void started.ended.finally(() => (done = true));
        stopped.push(...(await stopScan(box, 'm1', before, () => done || started.stdoutSoFar() !== '')));
        // Caught too late when the plan is printed by now (a stopped scan prints nothing; 0.2 s for
        // output already on its way): the scans were over, and what was stopped is a later shell
        // (the precheck's). Like a miss, that is tried again on a new sandbox.
        if (stopped.length > 0) await sleep(200);
        if (stopped.length === 0 || started.stdoutSoFar() !== '') {
          expect(attempt, `the scan of m1 was caught running (${ATTEMPTS} tries)`).toBeLessThan(ATTEMPTS);
          continue;
        }
        await waitFor('the lock', async () => (existsSync(join(box.dir, '.blat', 'lock')) ? true : undefined));
        process.kill(blat.pid, 'SIGTERM');
        const ended = await blat.ended;
        expect(ended.code).toBe(143);
        expect(ended.stderr).toContain('blat: SIGTERM: stopped at once');
        expect(existsSync(join(box.dir, '.blat', 'lock'))).toBe(false);
        for (const m of ['m1', 'm2']) expect(existsSync(join(box.root(m), 'docs', 'a.txt')), m).toBe(false);
        return;
      } finally {
        blat?.killGroup();
        endStopped(stopped);
        await box.cleanup();
      }
    }
  });
});
