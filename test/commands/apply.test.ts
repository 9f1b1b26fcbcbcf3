// End to end: `blat apply` against a real sshd, real rsync, three ssh machines and one local one.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { randomTag, readHeld, withoutMuxNoise } from './support.js';

const SSH = ['m1', 'm2', 'm3'];
const ALL = ['here', ...SSH];
let sshd: SshdHandle;

beforeAll(async () => {
  sshd = await startSshd({ hosts: SSH });
});
afterAll(async () => {
  await sshd?.stop();
});

/** A fresh sandbox (here = local self, m1..m3 over ssh) syncing `docs`; cleaned up by the caller. */
function sandbox(): Promise<Sandbox> {
  return makeSandbox({ sshd, ssh: SSH, local: ['here'], self: 'here', paths: ['docs'] });
}

describe('blat apply: diverging trees', () => {
  it('converges files, symlinks, nested folders and hostile names to the byte and the nanosecond', async () => {
    const box = await sandbox();
    const tag = randomTag();
    const pwned = `/tmp/blat-pwned-${tag}`;
    try {
      // Newer on different machines.
      await box.write('here', 'docs/a.txt', 'a old\n', '1700000000.100000000');
      await box.write('m1', 'docs/a.txt', 'a newest, from m1\n', '1700000500.123456789');
      await box.write('m2', 'docs/a.txt', 'a old\n', '1700000000.100000000');
      await box.write('here', 'docs/b.txt', 'b newest here\n', '1700000900.987654321');
      await box.write('m3', 'docs/b.txt', 'b older on m3\n', '1700000100.5');
      // Missing files: only on one machine each.
      await box.write('m2', 'docs/only-m2.txt', 'only on m2\n', '1700000200.000000001');
      await box.write('m3', 'docs/nested/deep/er/d.txt', 'deep on m3\n', '1700000300.999999999');
      // Symlinks.
      await box.symlink('m2', 'docs/link-to-a', 'a.txt', '1700000400.25');
      // Hostile names, spread over the machines.
      const hostile: [string, string][] = [
        ['m1', 'docs/with space.txt'],
        ['m2', 'docs/new\nline.txt'],
        ['m3', `docs/it's "quoted".txt`],
        ['here', `docs/$(touch ${pwned})`],
        ['m1', `docs/\`touch ${pwned}\``],
        ['m2', 'docs/-rf'],
        ['m3', 'docs/--delete'],
        ['m1', 'docs/sub dir/-leading dash'],
      ];
      for (const [i, [m, p]] of hostile.entries()) await box.write(m, p, `hostile ${i} ${p}\n`, `17000010${i}0.00000000${i}`);

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Apply complete: \d+ done, 0 failed, 0 stale, 0 deferred\./);

      const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(again.stdout).toMatch(/No changes/);
      expect(again.code).toBe(0);

      const held = new Map<string, Map<string, unknown>>();
      for (const m of ALL) held.set(m, await readHeld(box, m));
      const reference = held.get('here')!;
      // Every file and symlink is everywhere with the same bytes and the same mtime to the nanosecond.
      const files = [...reference].filter(([, h]) => h.type !== 'dir');
      expect(files.map(([p]) => p).sort()).toEqual(
        ['docs/a.txt', 'docs/b.txt', 'docs/only-m2.txt', 'docs/nested/deep/er/d.txt', 'docs/link-to-a', ...hostile.map(([, p]) => p)].sort(),
      );
      expect(reference.get('docs/a.txt')).toMatchObject({ content: Buffer.from('a newest, from m1\n'), mtimeNs: 1700000500123456789n });
      expect(reference.get('docs/b.txt')).toMatchObject({ content: Buffer.from('b newest here\n'), mtimeNs: 1700000900987654321n });
      expect(reference.get('docs/link-to-a')).toMatchObject({ type: 'symlink', target: 'a.txt' });
      for (const m of SSH) {
        const mine = held.get(m)!;
        expect([...mine.keys()].sort(), m).toEqual([...reference.keys()].sort());
        for (const [path, h] of files) expect(mine.get(path), `${m}: ${JSON.stringify(path)}`).toEqual(h);
      }
      expect(existsSync(pwned)).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});
