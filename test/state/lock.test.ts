import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockError } from '../../src/errors.js';
import { acquireLock, isBlatCommandLine } from '../../src/state/lock.js';

// Above Linux's largest pid_max (2**22), so no process can have it.
const DEAD_PID = 2 ** 22 + 12345;
const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const ISO = '2024-05-01T12:00:00.000Z';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(overrides: Partial<{ command: string; nowMs: number; hostname: string; pid: number }> = {}) {
  return { command: 'apply', nowMs: NOW, hostname: 'hostA', pid: process.pid, ...overrides };
}

async function thrown(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LockError);
  return error as LockError;
}

describe('acquireLock', () => {
  it('creates the state directory and a lock file naming pid, host, time and command', async () => {
    const stateDir = join(dir, '.blat');
    const lock = await acquireLock(stateDir, request());
    expect(lock.file).toBe(join(stateDir, 'lock'));
    expect(lock.warning).toBeUndefined();
    expect(JSON.parse(await readFile(lock.file, 'utf8'))).toEqual({ pid: process.pid, host: 'hostA', time: ISO, command: 'apply' });
    expect(await readdir(stateDir)).toEqual(['lock']);
  });

  it('refuses a second holder, naming the first one', async () => {
    const first = await acquireLock(dir, request({ command: 'apply --resume' }));
    const error = await thrown(acquireLock(dir, request({ pid: DEAD_PID, command: 'apply' })));
    expect(error.summary).toBe(
      `another blat holds ${join(dir, 'lock')}: pid ${process.pid} on hostA since ${ISO} (apply --resume); wait for it, or remove the file if that process is gone`,
    );
    expect(error.exitCode).toBe(1);
    expect(JSON.parse(await readFile(first.file, 'utf8')).command).toBe('apply --resume');
  });

  it('breaks a stale lock of a dead pid on this host and says so', async () => {
    expect(() => process.kill(DEAD_PID, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: DEAD_PID, host: 'hostA', time: '2024-04-30T08:00:00.000Z', command: 'apply' }));
    const lock = await acquireLock(dir, request({ command: 'apply --resume' }));
    expect(lock.warning).toBe(`removed stale lock of pid ${DEAD_PID} (apply) from 2024-04-30T08:00:00.000Z`);
    expect(JSON.parse(await readFile(lock.file, 'utf8'))).toEqual({ pid: process.pid, host: 'hostA', time: ISO, command: 'apply --resume' });
  });

  it('breaks a stale lock whose pid, alive, now runs something that is not a blat (a sleep)', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(sleeper, 'spawn'); // exec'd: its command line is sleep's
    try {
      const pid = sleeper.pid as number;
      await writeFile(join(dir, 'lock'), JSON.stringify({ pid, host: 'hostA', time: '2024-04-30T08:00:00.000Z', command: 'apply' }));
      const lock = await acquireLock(dir, request({ command: 'apply --resume' }));
      expect(lock.warning).toBe(`removed stale lock of pid ${pid} (apply) from 2024-04-30T08:00:00.000Z: pid ${pid} now runs sleep, not a blat`);
      expect(JSON.parse(await readFile(lock.file, 'utf8')).command).toBe('apply --resume');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('keeps a lock whose live pid runs a blat (its command line names blat)', async () => {
    const blat = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', '/opt/blat/dist/bin/blat.js', 'apply'], { stdio: 'ignore' });
    await once(blat, 'spawn');
    try {
      const pid = blat.pid as number;
      await writeFile(join(dir, 'lock'), JSON.stringify({ pid, host: 'hostA', time: ISO, command: 'apply' }));
      const error = await thrown(acquireLock(dir, request()));
      expect(error.summary).toContain(`pid ${pid} on hostA`);
    } finally {
      blat.kill('SIGKILL');
    }
  });

  it('tells a blat command line from others', () => {
    expect(isBlatCommandLine(['node', '/usr/local/bin/blat', 'apply'])).toBe(true);
    expect(isBlatCommandLine(['/usr/bin/node', '/srv/x/dist/bin/blat-bundle.cjs', 'plan'])).toBe(true);
    expect(isBlatCommandLine(['/usr/bin/node', '/home/u/blat/dist/cli.js', 'plan'])).toBe(true);
    expect(isBlatCommandLine(['sleep', '30'])).toBe(false);
    expect(isBlatCommandLine(['/usr/bin/python3', 'server.py'])).toBe(false);
  });

  it('never breaks a lock held from another host, even with a pid unknown here', async () => {
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: DEAD_PID, host: 'hostB', time: ISO, command: 'apply' }));
    const error = await thrown(acquireLock(dir, request()));
    expect(error.summary).toContain(`pid ${DEAD_PID} on hostB since ${ISO} (apply)`);
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8')).host).toBe('hostB');
  });

  it('reports a corrupt or empty lock file by name and leaves it alone', async () => {
    const file = join(dir, 'lock');
    await writeFile(file, '{"pid": "twelve"');
    const corrupt = await thrown(acquireLock(dir, request()));
    expect(corrupt.summary).toBe(`${file}: unreadable lock file (not a blat lock); remove it if no blat is running`);
    expect(await readFile(file, 'utf8')).toBe('{"pid": "twelve"');
    await writeFile(file, '');
    const empty = await thrown(acquireLock(dir, request()));
    expect(empty.summary).toBe(`${file}: unreadable lock file (empty); remove it if no blat is running`);
  });

  it('release removes the lock so it can be taken again, and is safe to call twice', async () => {
    const lock = await acquireLock(dir, request());
    await lock.release();
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    const again = await acquireLock(dir, request({ command: 'plan' }));
    expect(JSON.parse(await readFile(again.file, 'utf8')).command).toBe('plan');
  });

  it('release leaves a lock that no longer holds our pid', async () => {
    const lock = await acquireLock(dir, request());
    const other = JSON.stringify({ pid: DEAD_PID, host: 'hostA', time: ISO, command: 'apply' });
    await writeFile(lock.file, other);
    await lock.release();
    expect(await readFile(lock.file, 'utf8')).toBe(other);
  });
});
