import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFakeCommand } from '../helpers/fakeCommand.js';
import {
  buildOwnerLine,
  buildReleaseLockScript,
  buildRenewLockScript,
  buildTakeLockScript,
  parseOwnerLine,
  parseTakeOutput,
} from '../../src/transport/lockScript.js';
import { buildWriteSeenLine } from '../../src/transport/seenScript.js';
import { TRANSFER_TEMP_DIR } from '../../src/transport/rsync.js';

const SET = '.blat/sets/docs-set';
const ME = buildOwnerLine({ host: 'box-a', pid: 101, run: 'r1', nowMs: Date.parse('2026-01-02T13:02:11Z') });
const OTHER = buildOwnerLine({ host: 'box-b', pid: 202, run: 'r2', nowMs: Date.parse('2026-01-02T13:05:00Z') });

describe('owner lines', () => {
  it('are host, pid, run and time, tab-separated; a host with tabs or newlines cannot break the line', () => {
    expect(ME).toBe('box-a\t101\tr1\t2026-01-02T13:02:11.000Z');
    expect(buildOwnerLine({ host: 'a\tb\nc', pid: 1, run: 'r', nowMs: 0 })).toBe('a?b?c\t1\tr\t1970-01-01T00:00:00.000Z');
    expect(parseOwnerLine(ME)).toEqual({ line: ME, host: 'box-a', pid: 101, run: 'r1', time: '2026-01-02T13:02:11.000Z' });
    expect(parseOwnerLine('junk')).toEqual({ line: 'junk', host: 'junk' });
    expect(parseOwnerLine('')).toEqual({ line: '' });
  });
});

describe('parseTakeOutput', () => {
  it('reads taken, held and stale answers; no answer is a failure', () => {
    expect(parseTakeOutput('taken\n')).toEqual({ kind: 'taken', tookOver: [] });
    expect(parseTakeOutput(`held\t3\t${OTHER}\n`)).toMatchObject({ kind: 'held', ageSeconds: 3, owner: { host: 'box-b', pid: 202 } });
    expect(parseTakeOutput(`held\t?\t\n`)).toMatchObject({ kind: 'held', ageSeconds: undefined, owner: { line: '' } });
    expect(parseTakeOutput(`stale\t99\t${OTHER}\ntaken\n`)).toMatchObject({ kind: 'taken', tookOver: [{ ageSeconds: 99, owner: { host: 'box-b' } }] });
    expect(parseTakeOutput(`stale\t99\t${OTHER}\n`)).toEqual({ kind: 'fail', reason: 'no answer from the lock script' });
    expect(parseTakeOutput('fail\tcannot make x\n')).toEqual({ kind: 'fail', reason: 'cannot make x' });
  });
});

describe('the lock scripts run by /bin/sh', () => {
  let dir: string;
  let root: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blat-lock-'));
    // A hostile root name: the scripts run in it; a $(touch …) that ran would leave `pwned` there.
    root = join(dir, `it's a $(touch pwned) root`);
    await mkdir(root);
  });
  afterEach(async () => {
    expect(existsSync(join(root, 'pwned')) || existsSync(join(tmpdir(), 'pwned'))).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });

  const run = (script: string): string => execFileSync('/bin/sh', ['-s'], { input: script, cwd: tmpdir(), encoding: 'utf8' });
  const take = (owner: string, stallTimeout = 60, breakOwner?: string) => parseTakeOutput(run(buildTakeLockScript({ root, setDir: SET, owner }, stallTimeout, breakOwner)));
  const ownerFile = () => join(root, SET, 'lock', 'owner');
  const age = async (seconds: number) => {
    const t = Date.now() / 1000 - seconds;
    await utimes(ownerFile(), t, t);
  };

  it('takes a free lock (making its folders) and writes the owner line; taking it again as its owner is taken', async () => {
    expect(take(ME)).toEqual({ kind: 'taken', tookOver: [] });
    expect(await readFile(ownerFile(), 'utf8')).toBe(`${ME}\n`);
    expect(take(ME)).toEqual({ kind: 'taken', tookOver: [] });
  });

  it('removes the seen lines and makes the temp folder once taken, when asked (the tree is about to change), and never while another holds the lock', async () => {
    const seen = ['seen-0123456789ab', 'seen-ba9876543210'];
    const plant = async () => {
      await mkdir(join(root, SET), { recursive: true });
      for (const f of seen) await writeFile(join(root, SET, f), 'line\n');
      await writeFile(join(root, SET, 'head'), 'head line\n');
    };
    const left = async () => (await readdir(join(root, SET))).filter((f) => f !== 'lock').sort();
    await plant();
    // Not asked: they stay.
    expect(take(ME)).toEqual({ kind: 'taken', tookOver: [] });
    expect(await left()).toEqual(['head', ...seen]);
    // Held by another: refused, and nothing removed.
    expect(parseTakeOutput(run(buildTakeLockScript({ root, setDir: SET, owner: OTHER }, 60, undefined, true)))).toMatchObject({ kind: 'held' });
    expect(await left()).toEqual(['head', ...seen]);
    expect(existsSync(join(root, TRANSFER_TEMP_DIR))).toBe(false);
    // Asked, and taken (again, as its owner): the seen lines go, nothing else; the temp folder is made (and said so).
    expect(parseTakeOutput(run(buildTakeLockScript({ root, setDir: SET, owner: ME }, 60, undefined, true)))).toEqual({ kind: 'taken', tookOver: [], madeTemp: true });
    expect(await left()).toEqual(['head']);
    expect(statSync(join(root, TRANSFER_TEMP_DIR)).isDirectory()).toBe(true);
    // And on a free lock.
    run(buildReleaseLockScript({ root, setDir: SET, owner: ME }));
    await plant();
    expect(parseTakeOutput(run(buildTakeLockScript({ root, setDir: SET, owner: ME }, 60, undefined, true)))).toEqual({ kind: 'taken', tookOver: [] });
    expect(await left()).toEqual(['head']);
  });

  it('a release asked to remove the temp folder the take made, only while empty and the lock ours', async () => {
    const takeWritten = () => parseTakeOutput(run(buildTakeLockScript({ root, setDir: SET, owner: ME }, 60, undefined, true)));
    const temp = join(root, TRANSFER_TEMP_DIR);
    expect(takeWritten()).toEqual({ kind: 'taken', tookOver: [], madeTemp: true });
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: ME }, { removeTemp: true }))).toContain('released');
    expect(existsSync(temp)).toBe(false);
    // Not empty (a staging folder of another run, a partial file): it stays.
    expect(takeWritten()).toEqual({ kind: 'taken', tookOver: [], madeTemp: true });
    await mkdir(join(temp, 'partial'));
    run(buildReleaseLockScript({ root, setDir: SET, owner: ME }, { removeTemp: true }));
    expect(existsSync(join(temp, 'partial'))).toBe(true);
    // There already: the take does not say it made it.
    expect(takeWritten()).toEqual({ kind: 'taken', tookOver: [] });
    run(buildReleaseLockScript({ root, setDir: SET, owner: ME }));
    expect(existsSync(join(temp, 'partial'))).toBe(true);
  });

  it('answers held, naming the owner, while the owner file was touched less than stallTimeout ago', async () => {
    take(OTHER);
    await age(30);
    const answer = take(ME, 60);
    expect(answer).toMatchObject({ kind: 'held', owner: { host: 'box-b', pid: 202, run: 'r2' } });
    expect(answer.kind === 'held' && answer.ageSeconds).toBeGreaterThanOrEqual(30);
    expect(await readFile(ownerFile(), 'utf8')).toBe(`${OTHER}\n`);
  });

  it('takes over a lock not touched for stallTimeout seconds, saying whose it was and how old', async () => {
    take(OTHER);
    await age(90);
    const answer = take(ME, 60);
    expect(answer).toMatchObject({ kind: 'taken', tookOver: [{ owner: { host: 'box-b', pid: 202 } }] });
    expect(answer.kind === 'taken' && answer.tookOver[0].ageSeconds).toBeGreaterThanOrEqual(90);
    expect(await readFile(ownerFile(), 'utf8')).toBe(`${ME}\n`);
    // Nothing of the old lock is left beside the new one.
    expect(await readdir(join(root, SET))).toEqual(['lock']);
    expect(await readdir(join(root, SET, 'lock'))).toEqual(['owner']);
  });

  it('judges the age by stat and date where there is no perl', async () => {
    take(OTHER);
    await age(90);
    await withFakeCommand('perl', 'exit 127', async () => {
      expect(take(ME, 120)).toMatchObject({ kind: 'held', ageSeconds: expect.any(Number) });
      expect(take(ME, 60)).toMatchObject({ kind: 'taken', tookOver: [{ owner: { host: 'box-b' } }] });
    });
  });

  it('holds a lock whose age the machine cannot tell (no perl, no stat), or whose time is ahead of its clock: never taken over on a guess', async () => {
    take(OTHER);
    await age(3600);
    await withFakeCommand('perl', 'exit 127', () =>
      withFakeCommand('stat', 'exit 1', async () => {
        expect(take(ME, 60)).toMatchObject({ kind: 'held', ageSeconds: undefined, owner: { host: 'box-b' } });
      }),
    );
    await age(-3600);
    expect(take(ME, 60)).toMatchObject({ kind: 'held', owner: { host: 'box-b' } });
    expect(await readFile(ownerFile(), 'utf8')).toBe(`${OTHER}\n`);
  });

  it('takes over a fresh lock only when its owner line is the one named to break (a holder known gone)', async () => {
    take(OTHER);
    expect(take(ME, 60, 'box-b\t999\tr9\tT')).toMatchObject({ kind: 'held' });
    expect(take(ME, 60, OTHER)).toMatchObject({ kind: 'taken', tookOver: [{ owner: { pid: 202 } }] });
  });

  it('a lock folder without owner file is judged by the folder: held while young', async () => {
    await mkdir(join(root, SET, 'lock'), { recursive: true });
    expect(take(ME)).toMatchObject({ kind: 'held', owner: { line: '' } });
  });

  it('renews (touches) only its own lock, and says when it is lost', async () => {
    take(OTHER);
    await age(40);
    const before = (await stat(ownerFile())).mtimeMs;
    expect(run(buildRenewLockScript({ root, setDir: SET, owner: ME })).trim()).toBe('lost');
    expect((await stat(ownerFile())).mtimeMs).toBe(before);
    expect(run(buildRenewLockScript({ root, setDir: SET, owner: OTHER })).trim()).toBe('ok');
    expect((await stat(ownerFile())).mtimeMs).toBeGreaterThan(before);
    await rm(join(root, SET, 'lock'), { recursive: true });
    expect(run(buildRenewLockScript({ root, setDir: SET, owner: OTHER })).trim()).toBe('lost');
    expect(existsSync(join(root, SET, 'lock'))).toBe(false);
  });

  it('writes a seen line before releasing, only while the lock is still its own', async () => {
    const line = 'blat-seen-1 - tok-1 3 2\n';
    expect(take(ME)).toEqual({ kind: 'taken', tookOver: [] });
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: OTHER }, { seen: buildWriteSeenLine('seen-0123456789ab', line) }))).toContain('notours');
    expect(existsSync(join(root, SET, 'seen-0123456789ab'))).toBe(false);
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: ME }, { seen: buildWriteSeenLine('seen-0123456789ab', line) }))).toContain('released');
    expect(await readFile(join(root, SET, 'seen-0123456789ab'), 'utf8')).toBe(line);
    expect((await readdir(join(root, SET))).sort()).toEqual(['seen-0123456789ab']);
  });

  it("writes the machine's base files, then its seen line, before releasing; the seen line only once the files are in place", async () => {
    const files = [
      { name: 'base-lz0-abc', bytes: Buffer.from('./docs/a\0f\x001\x002\x00644\x00\x00', 'latin1') },
      { name: 'head', bytes: Buffer.from('blat-base-1 lz0-abc {}\n') },
    ];
    const seen = buildWriteSeenLine('seen-0123456789ab', 'blat-seen-1 - tok-1 3 2\n');
    expect(take(ME)).toEqual({ kind: 'taken', tookOver: [] });
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: OTHER }, { files, seen })).trim()).toBe('notours');
    expect((await readdir(join(root, SET))).sort()).toEqual(['lock']);
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: ME }, { files, seen })).split('\n')).toEqual(['.', '.', 'based', 'ok', 'released', '']);
    expect((await readdir(join(root, SET))).sort()).toEqual(['base-lz0-abc', 'head', 'seen-0123456789ab']);
    expect(await readFile(join(root, SET, 'base-lz0-abc'))).toEqual(files[0].bytes);
    // A head that cannot be written (a folder there): no seen line, the lock released all the same.
    await rm(join(root, SET), { recursive: true });
    await mkdir(join(root, SET, 'head', 'x'), { recursive: true });
    expect(take(ME)).toEqual({ kind: 'taken', tookOver: [] });
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: ME }, { files, seen })).split('\n')).toEqual(['.', '.', 'released', '']);
    expect((await readdir(join(root, SET))).sort()).toEqual(['head']);
  });

  it('releases only its own lock, and removes the set folder and .blat when left empty', async () => {
    take(OTHER);
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: ME })).trim()).toBe('notours');
    expect(existsSync(ownerFile())).toBe(true);
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: OTHER })).trim()).toBe('released');
    expect(await readdir(root)).toEqual([]);
    // A .blat holding anything else stays.
    take(ME);
    await writeFile(join(root, SET, 'base'), 'kept');
    expect(run(buildReleaseLockScript({ root, setDir: SET, owner: ME })).trim()).toBe('released');
    expect(await readdir(join(root, SET))).toEqual(['base']);
  });

  it('exits 3 when the root is missing', () => {
    const missing = join(dir, 'nope');
    const r = (script: string) => {
      try {
        execFileSync('/bin/sh', ['-s'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
        return 0;
      } catch (e) {
        return (e as { status: number }).status;
      }
    };
    expect(r(buildTakeLockScript({ root: missing, setDir: SET, owner: ME }, 60))).toBe(3);
    expect(r(buildRenewLockScript({ root: missing, setDir: SET, owner: ME }))).toBe(3);
    expect(r(buildReleaseLockScript({ root: missing, setDir: SET, owner: ME }))).toBe(3);
  });
});
