// End to end: resolving conflicts and deletions one path at a time (--prefer a machine that
// deleted it, --keep-both, blat restore, path arguments no machine holds).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { useDocsMachines, withoutMuxNoise } from './support.js';

const machines = useDocsMachines(['m1', 'm2']);
const ALL = ['here', 'm1', 'm2'];

/** The contents kept in a machine's trash for `path`, whatever the run. */
async function keptVersions(box: Sandbox, machine: string, path: string): Promise<string[]> {
  const trash = join(box.root(machine), '.blat-trash');
  const found: string[] = [];
  for (const d of await readdir(trash, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!d.isFile()) continue;
    const full = join(d.parentPath, d.name);
    if (full.slice(trash.length + 1).replace(/^[^/]+\//, '') === path) found.push(await readFile(full, 'utf8'));
  }
  return found.sort();
}

const apply = (box: Sandbox, ...args: string[]) => blat(box, 'apply', '--auto-approve', ...args);
/** blat run from self's root (path arguments are relative to it), the sandbox's config named. */
const blat = (box: Sandbox, ...args: string[]) => runBlat(['-c', box.configFile, ...args], { cwd: box.root('here'), timeoutMs: 60_000 });

/** Every machine holds `content` at each path, then one apply records the base. */
async function syncAll(box: Sandbox, paths: readonly string[], content = 'synced\n'): Promise<void> {
  for (const m of ALL) for (const p of paths) await box.write(m, p, content, '1700000000');
  const r = await apply(box);
  expect(r.code, r.stderr).toBe(0);
}

describe('--prefer MACHINE where MACHINE deleted the path', () => {
  it('the deletion wins: every other copy goes to its machine’s trash (under the mass-deletion guard)', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
      await box.remove('m1', 'docs/a.txt');
      await box.write('m2', 'docs/a.txt', 'edit on m2\n', '1700000500');
      const plan = await blat(box, 'plan');
      expect(plan.stdout).toMatch(/Conflicts \(1\)/);
      const r = await apply(box, '--prefer', 'm1');
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ALL) expect(await box.exists(m, 'docs/a.txt'), m).toBe(false);
      expect(await keptVersions(box, 'm2', 'docs/a.txt')).toEqual(['edit on m2\n']);
      expect(await keptVersions(box, 'here', 'docs/a.txt')).toEqual(['synced\n']);
      const again = await blat(box, 'plan', '--detailed-exitcode');
      expect(again.code, again.stdout).toBe(0);
    } finally {
      await box.cleanup();
    }
  });
});

describe('path arguments that name nothing', () => {
  it('a path no machine holds and the base does not know is an error naming it, exit 1; under no sync path too', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt']);
      for (const cmd of [['plan'], ['apply', '--auto-approve']]) {
        const r = await blat(box, ...cmd, 'docs/nonexistent', 'docs/a.txt');
        expect(r.stdout).toBe('');
        expect(withoutMuxNoise(r.stderr)).toBe('blat: docs/nonexistent: no machine holds it and the last sync knew nothing there (a typo?)\n');
        expect(r.code).toBe(1);
      }
      const outside = await blat(box, 'plan', 'elsewhere');
      expect(outside.stderr).toMatch(/^blat: elsewhere is not under any entry of paths: in .*blat\.yaml\n$/);
      expect(outside.code).toBe(1);
      // Held somewhere, or known to the base (deleted everywhere since), is no error.
      await box.write('m2', 'docs/sub/only-m2.txt', 'x\n', '1700000100');
      expect((await blat(box, 'plan', 'docs/sub', 'docs/a.txt')).code).toBe(0);
      for (const m of ALL) await box.remove(m, 'docs/a.txt');
      const gone = await blat(box, 'plan', 'docs/a.txt');
      expect(withoutMuxNoise(gone.stderr)).toBe('');
      expect(gone.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('when a machine that may hold it is offline, it is said and the run goes on', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt']);
      await machines.sshd.setOffline('m2', true);
      const r = await blat(box, 'plan', 'docs/nonexistent');
      expect(r.stderr).toMatch(/^warning: docs\/nonexistent: no machine that answered holds it \(m2 is offline and may hold it\)$/m);
      expect(r.code).toBe(0);
    } finally {
      await machines.sshd.setOffline('m2', false);
      await box.cleanup();
    }
  });
});

describe('blat restore', () => {
  it('copies a held deletion back to the machine that deleted it, and nothing else; the next plan is in sync there', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
      await box.remove('m1', 'docs/a.txt');
      await box.write('m2', 'docs/b.txt', 'newer on m2\n', '1700000500');
      const held = await blat(box, 'plan', '--json');
      expect(JSON.parse(held.stdout).deletions).toHaveLength(1);
      // Shown and asked: no terminal, no --auto-approve: refused before anything.
      const unasked = await blat(box, 'restore', 'docs/a.txt');
      expect(unasked.code).toBe(1);
      expect(await box.exists('m1', 'docs/a.txt')).toBe(false);

      const r = await blat(box, 'restore', 'docs', '--auto-approve');
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.stdout).toMatch(/docs\/a\.txt/);
      expect(r.stdout).not.toMatch(/docs\/b\.txt/);
      expect(r.code).toBe(0);
      expect(await box.read('m1', 'docs/a.txt')).toBe('synced\n');
      expect((await box.stat('m1', 'docs/a.txt')).mtimeNs).toBe((await box.stat('here', 'docs/a.txt')).mtimeNs);
      // b.txt was not part of it: still to be pushed. a.txt is settled: in sync, and a later deletion is held again.
      const after = JSON.parse((await blat(box, 'plan', '--json')).stdout);
      expect(after.steps.map((s: { path: string }) => s.path)).toEqual(['docs/b.txt', 'docs/b.txt']);
      expect(after.deletions).toEqual([]);
      await box.remove('m2', 'docs/a.txt');
      expect(JSON.parse((await blat(box, 'plan', '--json')).stdout).deletions.map((d: { path: string }) => d.path)).toEqual(['docs/a.txt']);
    } finally {
      await box.cleanup();
    }
  });

  it('refuses a path that is not a held deletion with one line, exit 1, nothing changed', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt', 'docs/b.txt']);
      await box.remove('m1', 'docs/a.txt');
      const r = await blat(box, 'restore', 'docs/a.txt', 'docs/b.txt', '--auto-approve');
      expect(r.stdout).toBe('');
      expect(withoutMuxNoise(r.stderr)).toBe('blat: docs/b.txt: not a held deletion, nothing to restore (blat plan lists the held deletions)\n');
      expect(r.code).toBe(1);
      expect(await box.exists('m1', 'docs/a.txt')).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});
