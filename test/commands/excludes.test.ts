// End to end: excludes as rsync means them, and a machine's own excludes (machines.NAME.exclude):
// what a machine excludes is neither read nor written there.
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { useDocsMachines, withoutMuxNoise } from './support.js';
import { makeToolSpy } from './toolSpy.js';

const machines = useDocsMachines(['m1', 'm2']);

describe('excludes', () => {
  it('build/cache excludes docs/proj/build/cache; m2\'s own private/ is synced between the others, never touched on m2', async () => {
    const box = await machines.sandbox();
    try {
      await box.writeConfig({ exclude: ['build/cache'], machines: { m2: { exclude: ['private/'] } } });
      await box.write('here', 'docs/proj/build/cache/junk.o', 'cache\n', '1700000000');
      await box.write('here', 'docs/proj/build/out.txt', 'out\n', '1700000000');
      await box.write('here', 'docs/private/diary.txt', 'here\'s diary\n', '1700000100');
      // m2 has its own private folder: a newer diary and a file of its own.
      await box.write('m2', 'docs/private/diary.txt', 'm2\'s own diary, newer\n', '1700000900');
      await box.write('m2', 'docs/private/mine.txt', 'm2 only\n', '1700000200');

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ['m1', 'm2']) {
        expect(await box.read(m, 'docs/proj/build/out.txt'), m).toBe('out\n');
        expect(await box.exists(m, 'docs/proj/build/cache'), m).toBe(false);
      }
      // m1 gets here's private folder; m2's newer diary was neither read (not pulled) nor overwritten.
      expect(await box.read('m1', 'docs/private/diary.txt')).toBe('here\'s diary\n');
      expect(await box.exists('m1', 'docs/private/mine.txt')).toBe(false);
      expect(await box.read('here', 'docs/private/diary.txt')).toBe('here\'s diary\n');
      expect(await box.read('m2', 'docs/private/diary.txt')).toBe('m2\'s own diary, newer\n');
      expect((await box.stat('m2', 'docs/private/diary.txt')).mtimeNs).toBe(1700000900000000000n);
      expect(await box.read('m2', 'docs/private/mine.txt')).toBe('m2 only\n');

      // Deleted on m1 and here, still on m2: not a deletion for m2, nothing moved to its trash.
      await box.remove('here', 'docs/private/diary.txt');
      await box.remove('m1', 'docs/private/diary.txt');
      const again = await runBlat(['apply', '--auto-approve', '--propagate-deletes'], { cwd: box.dir });
      expect(again.code).toBe(0);
      expect(await box.read('m2', 'docs/private/diary.txt')).toBe('m2\'s own diary, newer\n');
      expect(await box.exists('m2', '.blat-trash')).toBe(false);

      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.stdout).toMatch(/No changes/);
      expect(plan.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('a folder new on the others goes whole with the same excludes (rsync rules from where its transfer starts)', async () => {
    const box = await machines.sandbox();
    try {
      await box.writeConfig({ exclude: ['build/cache', '/proj/skip', '*.o'], machines: { m2: { exclude: ['proj/private/'] } } });
      // Enough files for the folder to go whole (64 steps or more).
      for (let i = 0; i < 80; i++) await box.write('here', `docs/proj/f${i}.txt`, `${i}\n`, '1700000000');
      const spy = await makeToolSpy();
      await box.write('here', 'docs/proj/sub/build/cache/junk', 'cache\n', '1700000000');
      await box.write('here', 'docs/proj/skip', 'anchored at the sync path\n', '1700000000');
      await box.write('here', 'docs/proj/sub/skip', 'not anchored here\n', '1700000000');
      await box.write('here', 'docs/proj/x.o', 'object\n', '1700000000');
      await box.write('here', 'docs/proj/private/p.txt', 'private\n', '1700000000');
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, env: spy.env });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      // To m1 the folder went whole, by one list from the root: the patterns anchored at the sync path.
      const whole = (await spy.transfers()).filter((c) => / -r /.test(c));
      await spy.cleanup();
      expect(whole).toHaveLength(1);
      expect(whole[0]).toContain('--exclude=/docs/proj/skip --exclude=*.o');
      expect(whole[0]).toContain('--exclude=/docs/build/cache --exclude=/docs/**/build/cache');
      for (const m of ['m1', 'm2']) {
        expect(await box.read(m, 'docs/proj/f79.txt'), m).toBe('79\n');
        expect(await box.read(m, 'docs/proj/sub/skip'), m).toBe('not anchored here\n');
        expect(await box.exists(m, 'docs/proj/sub/build/cache'), m).toBe(false);
        expect(await box.exists(m, 'docs/proj/skip'), m).toBe(false);
        expect(await box.exists(m, 'docs/proj/x.o'), m).toBe(false);
      }
      expect(await box.read('m1', 'docs/proj/private/p.txt')).toBe('private\n');
      expect(await box.exists('m2', 'docs/proj/private')).toBe(false);
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.stdout).toMatch(/No changes/);
      expect(plan.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('refuses an exclude that would swallow a sync path, naming its line', async () => {
    const box = await machines.sandbox();
    try {
      await box.writeConfig({ machines: { m2: { exclude: ['docs'] } } });
      const r = await runBlat(['plan'], { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/blat\.yaml:\d+:\d+: machines\.m2\.exclude\[0\]: "docs" matches the sync path "docs": it would exclude all of it/);
    } finally {
      await box.cleanup();
    }
  });
});
