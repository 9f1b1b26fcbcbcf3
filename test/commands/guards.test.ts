// End to end: the guards between a plan and the machines (real sshd, real rsync): the mass-deletion
// guard counts what each machine holds under all the sync paths, and plan shows its verdict.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { readHeld, useDocsMachines, withoutMuxNoise } from './support.js';

const SSH = ['m1', 'm2'];
const ALL = [...SSH, 'here'];
const machines = useDocsMachines(SSH);

/** Every machine's held paths, for "nothing changed" comparisons. */
async function readAll(box: Sandbox): Promise<Record<string, Map<string, unknown>>> {
  const out: Record<string, Map<string, unknown>> = {};
  for (const m of ALL) out[m] = await readHeld(box, m);
  return out;
}

/** Relative paths of the files under a machine's `.blat-trash`, whatever its layout below the root. */
async function readTrashed(box: Sandbox, machine: string): Promise<string[]> {
  const entries = await readdir(join(box.root(machine), '.blat-trash'), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(box.root(machine).length + 1)).sort();
}

/** 50 files under docs, synced on every machine: 3 in docs/sub, 30 in docs/big, 17 in docs. */
async function seedFifty(box: Sandbox): Promise<void> {
  const paths = [
    ...Array.from({ length: 3 }, (_, i) => `docs/sub/s${i}.txt`),
    ...Array.from({ length: 30 }, (_, i) => `docs/big/b${i}.txt`),
    ...Array.from({ length: 17 }, (_, i) => `docs/t${i}.txt`),
  ];
  for (const [i, p] of paths.entries()) await box.write('here', p, `${p}\n`, 1_700_007_000 + i);
  const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
  expect(r.code).toBe(0);
  for (const m of SSH) expect((await box.listTree(m)).filter((e) => e.type === 'file')).toHaveLength(50);
}

describe('the mass-deletion guard under path arguments', () => {
  it('weighs deletions against all the sync paths: 2 of 50 go ahead, 30 of 50 are refused with those numbers; plan says which before apply', async () => {
    const box = await machines.sandbox();
    const inHere = { cwd: box.root('here') };
    const c = ['-c', box.configFile];
    try {
      await seedFifty(box);
      await box.remove('m2', 'docs/big');
      await box.remove('m2', 'docs/sub/s0.txt');
      await box.remove('m2', 'docs/sub/s1.txt');
      const before = await readAll(box);

      // 30 of 50: plan says apply would refuse, and apply refuses, naming 30 of the 50 files.
      const problem = (m: string) => `${m}: propagating deletions would move 30 of the 50 files it holds to trash (more than 50% of them); is a disk unmounted?`;
      const planned = await runBlat([...c, 'plan', 'docs/big', '--propagate-deletes'], inHere);
      expect(withoutMuxNoise(planned.stderr)).toBe('');
      expect(planned.code).toBe(0);
      const lines = planned.stdout.trimEnd().split('\n');
      expect(lines.slice(-5, -2)).toEqual([
        'Deletion guard: apply would refuse (check that no disk is unmounted; pass --force-deletes to go ahead):',
        `  ${problem('m1')}`,
        `  ${problem('here')}`,
      ]);
      const json = await runBlat([...c, 'plan', 'docs/big', '--propagate-deletes', '--json'], inHere);
      expect(JSON.parse(json.stdout).deletionGuard).toEqual({ passes: false, problems: [problem('m1'), problem('here')] });

      const refused = await runBlat([...c, 'apply', 'docs/big', '--propagate-deletes', '--auto-approve'], inHere);
      expect(withoutMuxNoise(refused.stderr).trimEnd().split('\n')).toEqual([
        'blat: refusing to propagate deletions:',
        `blat: ${problem('m1')}`,
        `blat: ${problem('here')}`,
        'blat: (check that no disk is unmounted; pass --force-deletes to go ahead)',
      ]);
      expect(refused.code).toBe(1);
      expect(await readAll(box)).toEqual(before);

      // 2 of 50 under docs/sub: plan says the guard passes, and apply moves them to trash.
      const sub = await runBlat([...c, 'plan', 'docs/sub', '--propagate-deletes'], inHere);
      expect(sub.stdout.trimEnd().split('\n').at(-3)).toBe('Deletion guard: passes');
      expect(JSON.parse((await runBlat([...c, 'plan', 'docs/sub', '--propagate-deletes', '--json'], inHere)).stdout).deletionGuard).toEqual({
        passes: true,
        problems: [],
      });
      // Saved and applied later (the saved plan is narrowed too).
      expect((await runBlat([...c, 'plan', 'docs/sub', '--propagate-deletes', '--out', join(box.dir, 'sub.json')], inHere)).code).toBe(0);
      const applied = await runBlat([...c, 'apply', join(box.dir, 'sub.json')], inHere);
      expect(withoutMuxNoise(applied.stderr)).toBe('');
      expect(applied.code).toBe(0);
      for (const m of ['m1', 'here']) {
        expect(await box.exists(m, 'docs/sub/s0.txt')).toBe(false);
        expect(await box.exists(m, 'docs/sub/s1.txt')).toBe(false);
        expect(await box.read(m, 'docs/sub/s2.txt')).toBe('docs/sub/s2.txt\n');
        expect((await readTrashed(box, m)).filter((p) => /docs\/sub\/s[01]\.txt$/.test(p))).toHaveLength(2);
        expect(await box.exists(m, 'docs/big/b0.txt')).toBe(true);
      }
    } finally {
      await box.cleanup();
    }
  });

  it('lets a narrowed apply --propagate-deletes take 2 of 50 files', async () => {
    const box = await machines.sandbox();
    try {
      await seedFifty(box);
      await box.remove('m2', 'docs/sub/s0.txt');
      await box.remove('m2', 'docs/sub/s1.txt');
      const r = await runBlat(['-c', box.configFile, 'apply', 'docs/sub', '--propagate-deletes', '--auto-approve'], { cwd: box.root('here') });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ['m1', 'here']) {
        expect(await box.exists(m, 'docs/sub/s0.txt')).toBe(false);
        expect((await readTrashed(box, m)).filter((p) => /docs\/sub\/s[01]\.txt$/.test(p))).toHaveLength(2);
      }
    } finally {
      await box.cleanup();
    }
  });
});
