// End to end: a path moved on one machine is moved alike on the others (`mv`, no transfer).
// The "moved folder of 200 MB" is a folder of 200 small files plus one sparse 3 MiB file
// (the content check of big files runs on it): the test stays fast, and proves the same thing —
// rsync is never started for it.
import { chmod, rename, truncate, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { useDocsMachines, withoutMuxNoise } from './support.js';
import { makeToolSpy } from './toolSpy.js';

const machines = useDocsMachines(['m1', 'm2']);
const ALL = ['here', 'm1', 'm2'];
const blat = (box: Sandbox, args: string[], env: Record<string, string> = {}) => runBlat(['-c', box.configFile, ...args], { cwd: box.root('here'), timeoutMs: 60_000, env });

interface StepDoc {
  action: string;
  path: string;
  was?: string;
  from: string;
  to: string;
}

/**
 * The big file of the moved folder (sparse): 16 MiB, over the 1 MiB from which a move compares
 * sha256 on both ends (MOVE_HASH_MIN_BYTES). The tool spy, not the size, tells nothing was sent.
 */
const BIG_BYTES = 16 * 1024 * 1024;

/** Writes the same files on every machine, then one apply records the base. */
async function syncAll(box: Sandbox, files: Record<string, string>, big?: string): Promise<void> {
  for (const m of ALL) {
    for (const [p, content] of Object.entries(files)) await box.write(m, p, content, '1700000000');
    if (big !== undefined) {
      const full = join(box.root(m), big);
      await box.write(m, big, '', '1700000000');
      await truncate(full, BIG_BYTES); // sparse: zeros, nothing written
      await utimes(full, 1_700_000_000, 1_700_000_000);
    }
  }
  const r = await blat(box, ['apply', '--auto-approve']);
  expect(r.code, r.stderr).toBe(0);
}

/** Renames `from` to `to` under `machine`'s root, keeping the mtime of the folder it leaves untouched otherwise. */
async function moveOn(box: Sandbox, machine: string, from: string, to: string): Promise<void> {
  await rename(join(box.root(machine), from), join(box.root(machine), to));
}

async function planSteps(box: Sandbox): Promise<StepDoc[]> {
  const r = await blat(box, ['plan', '--json']);
  return (JSON.parse(r.stdout) as { steps: StepDoc[] }).steps;
}

describe.concurrent('moves are moves', () => {
  it('a folder of 200 files and 16 MiB moved on self is moved on the others with one mv each: rsync never starts, nothing held', async () => {
    const box = await machines.sandbox();
    const spy = await makeToolSpy();
    try {
      const files: Record<string, string> = {};
      for (let i = 0; i < 200; i++) files[`docs/photos/img ${i} $(x).jpg`] = `photo ${i}\n`;
      await syncAll(box, files, 'docs/photos/big.raw');
      await moveOn(box, 'here', 'docs/photos', 'docs/pictures');

      const steps = await planSteps(box);
      expect(steps.map((s) => `${s.action} ${s.was} → ${s.path} ${s.from}>${s.to}`)).toEqual([
        'move docs/photos → docs/pictures here>m1',
        'move docs/photos → docs/pictures here>m2',
      ]);
      await spy.reset();
      const r = await blat(box, ['apply', '--auto-approve'], spy.env);
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/In sync/);
      expect(await spy.transfers()).toEqual([]);
      for (const m of ALL) {
        expect(await box.exists(m, 'docs/photos'), m).toBe(false);
        expect(await box.read(m, 'docs/pictures/img 7 $(x).jpg'), m).toBe('photo 7\n');
        expect((await box.stat(m, 'docs/pictures/big.raw')).size, m).toBe(BIG_BYTES);
      }
      const journal = await blat(box, ['journal', '--json']);
      expect(journal.code, journal.stderr).toBe(0);
      const again = await blat(box, ['plan', '--detailed-exitcode']);
      expect(again.code, again.stdout).toBe(0);
      // The spy sees rsync when there is something to send.
      await box.write('here', 'docs/pictures/new.jpg', 'new\n', '1700000100');
      const more = await blat(box, ['apply', '--auto-approve'], spy.env);
      expect(more.code, more.stderr).toBe(0);
      expect((await spy.transfers()).length).toBeGreaterThan(0);
    } finally {
      await spy.cleanup();
      await box.cleanup();
    }
  });

  it('a moved file whose copy changed on a target is a conflict there: nothing moved over it, nothing lost', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, { 'docs/a.txt': 'synced\n' });
      await moveOn(box, 'here', 'docs/a.txt', 'docs/b.txt');
      await box.write('m2', 'docs/a.txt', 'edited on m2\n', '1700000500');
      const plan = await blat(box, ['plan', '--json']);
      const doc = JSON.parse(plan.stdout) as { steps: StepDoc[]; conflicts: { path: string; reason: string }[] };
      expect(doc.conflicts.map((c) => c.path)).toEqual(['docs/a.txt']);
      expect(doc.conflicts[0].reason).toMatch(/moved to docs\/b\.txt on here; not moved where it changed/);
      expect(doc.steps.some((s) => s.action === 'move')).toBe(false);
      await blat(box, ['apply', '--auto-approve']);
      expect(await box.read('m2', 'docs/a.txt')).toBe('edited on m2\n');
      expect(await box.read('m2', 'docs/b.txt')).toBe('synced\n');
    } finally {
      await box.cleanup();
    }
  });

  it('a big file whose content differs on a target despite equal size and mtime is not moved there', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, {}, 'docs/big.raw');
      await moveOn(box, 'here', 'docs/big.raw', 'docs/big2.raw');
      const saved = join(box.root('here'), 'moves.plan');
      const p = await blat(box, ['plan', '--out', saved]);
      expect(p.code, p.stderr).not.toBe(1);
      // Same size and mtime on m1, different bytes: only the sha256 tells.
      const full = join(box.root('m1'), 'docs/big.raw');
      await box.write('m1', 'docs/big.raw', 'X', '1700000000');
      await truncate(full, BIG_BYTES);
      await utimes(full, 1_700_000_000, 1_700_000_000);
      const r = await blat(box, ['apply', '--auto-approve', saved]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/content of docs\/big\.raw on m1 differs/);
      expect(await box.exists('m1', 'docs/big.raw')).toBe(true);
      expect(await box.exists('m1', 'docs/big2.raw')).toBe(false);
      expect(await box.exists('m2', 'docs/big2.raw')).toBe(true);
    } finally {
      await box.cleanup();
    }
  });

  it('a move onto a path that appeared since the plan is refused: nothing overwritten, old path kept', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, { 'docs/a.txt': 'synced\n' });
      await moveOn(box, 'here', 'docs/a.txt', 'docs/b.txt');
      const saved = join(box.root('here'), 'moves.plan');
      const p = await blat(box, ['plan', '--out', saved]);
      expect(p.code, p.stderr).not.toBe(1);
      await box.write('m1', 'docs/b.txt', 'mine on m1\n', '1700000900');
      const r = await blat(box, ['apply', '--auto-approve', saved]);
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/never replaces anything/);
      expect(await box.read('m1', 'docs/b.txt')).toBe('mine on m1\n');
      expect(await box.read('m1', 'docs/a.txt')).toBe('synced\n');
      expect(await box.read('m2', 'docs/b.txt')).toBe('synced\n');
      expect(await box.exists('m2', 'docs/a.txt')).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('a move that failed on one machine is finished by apply --resume as a move (no transfer), old path included', async () => {
    const box = await machines.sandbox();
    const spy = await makeToolSpy();
    try {
      await syncAll(box, { 'docs/album/a.jpg': 'a\n', 'docs/album/b.jpg': 'b\n' });
      await moveOn(box, 'here', 'docs/album', 'docs/pics');
      // m1 cannot rename anything in docs (its ssh user is not root).
      await chmod(join(box.root('m1'), 'docs'), 0o555);
      const first = await blat(box, ['apply', '--auto-approve']);
      expect(first.code, first.stdout).toBe(2);
      expect(first.stdout + first.stderr).toMatch(/could not move docs\/album to docs\/pics on m1/);
      expect(await box.exists('m2', 'docs/pics/a.jpg')).toBe(true);
      expect(await box.exists('m1', 'docs/album/a.jpg')).toBe(true);
      await chmod(join(box.root('m1'), 'docs'), 0o755);
      await spy.reset();
      const resumed = await blat(box, ['apply', '--resume', '--auto-approve'], spy.env);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/1 to move/);
      expect(await spy.transfers()).toEqual([]);
      expect(await box.read('m1', 'docs/pics/b.jpg')).toBe('b\n');
      expect(await box.exists('m1', 'docs/album')).toBe(false);
      const again = await blat(box, ['plan', '--detailed-exitcode']);
      expect(again.code, again.stdout).toBe(0);
    } finally {
      await chmod(join(box.root('m1'), 'docs'), 0o755).catch(() => undefined);
      await spy.cleanup();
      await box.cleanup();
    }
  });

  it('after a complete apply (its seen lines: only what differs is read), a file moved into a folder all hold is a move', async () => {
    const box = await machines.sandbox();
    const spy = await makeToolSpy();
    try {
      await syncAll(box, { 'docs/a/x.txt': 'x\n', 'docs/b/y.txt': 'y\n', 'docs/c.txt': 'c\n' });
      const settle = await blat(box, ['apply', '--auto-approve']);
      expect(settle.code, settle.stdout).toBe(0);
      await moveOn(box, 'here', 'docs/a/x.txt', 'docs/b/x.txt');
      await spy.reset();
      const r = await blat(box, ['apply', '--auto-approve', '--verbose'], spy.env);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/compared with the listing their seen lines stand for/);
      expect(r.stdout).toMatch(/Plan: 2 to move, 0 to pull, 0 to push/);
      expect(await spy.transfers()).toEqual([]);
      for (const m of ALL) expect(await box.read(m, 'docs/b/x.txt'), m).toBe('x\n');
    } finally {
      await spy.cleanup();
      await box.cleanup();
    }
  });
});
