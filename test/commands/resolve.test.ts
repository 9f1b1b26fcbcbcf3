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

describe.concurrent('--prefer MACHINE where MACHINE deleted the path', () => {
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

describe.concurrent('blat restore', () => {
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

describe.concurrent('--keep-both', () => {
  it('the newest stays at the path; the other version is kept beside it on every machine, named as Syncthing names it', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
      await box.write('here', 'docs/a.txt', 'edit here, older\n', '1700000300');
      await box.write('m2', 'docs/a.txt', 'edit on m2, newer\n', '1700000500');
      const kept = 'docs/a.conflict-here-20231114-221820.txt';
      const plan = await blat(box, 'plan', '--keep-both');
      expect(plan.stdout).toContain(kept);
      expect(plan.stdout).not.toMatch(/Conflicts \(/);
      const json = JSON.parse((await blat(box, 'plan', '--keep-both', '--json')).stdout);
      expect(json.steps[0]).toMatchObject({ action: 'copy-aside', path: 'docs/a.txt', from: 'here', to: 'here', as: kept, target: null });
      expect(json.summary.aside).toBe(1);

      const r = await apply(box, '--keep-both');
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      const mtime = (await box.stat('here', 'docs/a.txt')).mtimeNs;
      for (const m of ALL) {
        expect(await box.read(m, 'docs/a.txt'), m).toBe('edit on m2, newer\n');
        expect(await box.read(m, kept), m).toBe('edit here, older\n');
        expect((await box.stat(m, kept)).mtimeNs, m).toBe(1700000300n * 1_000_000_000n);
        expect((await box.stat(m, 'docs/a.txt')).mtimeNs, m).toBe(mtime);
      }
      // Nothing else was written: the older copies replaced went to trash as usual.
      expect(await keptVersions(box, 'm1', 'docs/a.txt')).toEqual(['synced\n']);
      const again = await blat(box, 'plan', '--detailed-exitcode');
      expect(again.code, again.stdout).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('a version held on another machine is copied there, then pulled and pushed; a name taken there meanwhile is never written over', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
      await box.write('m1', 'docs/a.txt', 'edit on m1, older\n', '1700000200');
      await box.write('m2', 'docs/a.txt', 'edit on m2, newer\n', '1700000500');
      const kept = 'docs/a.conflict-m1-20231114-221640.txt';
      const saved = join(box.dir, 'plan.json');
      expect((await blat(box, 'plan', '--keep-both', '--out', saved)).code).toBe(0);
      // Saved plan applied later: the name appeared on m1 meanwhile, so nothing of docs/a.txt is done.
      await box.write('m1', kept, 'not blat’s\n', '1700000100');
      const refused = await blat(box, 'apply', saved);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toMatch(/is there on m1 now/);
      expect(await box.read('m1', kept)).toBe('not blat’s\n');
      expect(await box.read('here', 'docs/a.txt')).toBe('synced\n');
      expect(await box.read('m1', 'docs/a.txt')).toBe('edit on m1, older\n');
      expect(await box.read('m2', 'docs/a.txt')).toBe('edit on m2, newer\n');
      expect(await box.exists('here', kept)).toBe(false);
      // Planned afresh, the name is taken: the next one is free.
      const r = await apply(box, '--keep-both');
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ALL) {
        expect(await box.read(m, 'docs/a.txt'), m).toBe('edit on m2, newer\n');
        expect(await box.read(m, 'docs/a.conflict-m1-20231114-221640-2.txt'), m).toBe('edit on m1, older\n');
      }
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('one answer per conflict, with path arguments', () => {
  it('apply docs/a.txt --prefer m1, then apply docs/b.txt --keep-both: each conflict gets its own', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
      for (const p of ['docs/a.txt', 'docs/b.txt']) {
        await box.write('m1', p, `${p} on m1, older\n`, '1700000200');
        await box.write('m2', p, `${p} on m2, newer\n`, '1700000500');
      }
      const first = await apply(box, 'docs/a.txt', '--prefer', 'm1');
      expect(withoutMuxNoise(first.stderr)).toBe('');
      expect(first.code).toBe(0);
      for (const m of ALL) expect(await box.read(m, 'docs/a.txt'), m).toBe('docs/a.txt on m1, older\n');
      expect(await box.read('m2', 'docs/b.txt')).toBe('docs/b.txt on m2, newer\n');
      expect(await box.read('m1', 'docs/b.txt')).toBe('docs/b.txt on m1, older\n');
      const conflicts = JSON.parse((await blat(box, 'plan', '--json')).stdout).conflicts;
      expect(conflicts.map((c: { path: string }) => c.path)).toEqual(['docs/b.txt']);

      const second = await apply(box, 'docs/b.txt', '--keep-both');
      expect(withoutMuxNoise(second.stderr)).toBe('');
      expect(second.code).toBe(0);
      for (const m of ALL) {
        expect(await box.read(m, 'docs/b.txt'), m).toBe('docs/b.txt on m2, newer\n');
        expect(await box.read(m, 'docs/b.conflict-m1-20231114-221640.txt'), m).toBe('docs/b.txt on m1, older\n');
      }
      const again = await blat(box, 'plan', '--detailed-exitcode');
      expect(again.code, again.stdout).toBe(0);
      // The two answers cannot be given at once.
      const both = await blat(box, 'plan', '--keep-both', '--prefer', 'm1');
      expect(both.code).toBe(1);
      expect(both.stderr).toMatch(/--keep-both and --prefer: choose one/);
    } finally {
      await box.cleanup();
    }
  });
});
