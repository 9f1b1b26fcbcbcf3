// End to end: `blat plan --checksum` finds copies that differ despite equal size and mtime.
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { useDocsMachines } from './support.js';

const machines = useDocsMachines(['m1']);

describe('blat plan --checksum', () => {
  it('lists copies with equal size and mtime but different content as a conflict (exit 2); the plain plan cannot tell', async () => {
    const box = await machines.sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'same\n', '1700000000');
      await box.write('m1', 'docs/a.txt', 'same\n', '1700000000');
      await box.write('here', 'docs/sub/b.bin', 'content one\n', '1700000100.5');
      await box.write('m1', 'docs/sub/b.bin', 'content two\n', '1700000100.5');

      const plain = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plain.stdout).toMatch(/No changes/);
      expect(plain.code).toBe(0);

      const checked = await runBlat(['plan', '--checksum', '--detailed-exitcode'], { cwd: box.dir });
      expect(checked.code).toBe(2);
      expect(checked.stdout).toMatch(/docs\/sub\/b\.bin/);
      expect(checked.stdout).toMatch(/same size and mtime, different content/);
      expect(checked.stdout).not.toMatch(/docs\/a\.txt/);
      const json = JSON.parse((await runBlat(['plan', '--checksum', '--json'], { cwd: box.dir })).stdout) as { conflicts: { path: string }[] };
      expect(json.conflicts.map((c) => c.path)).toEqual(['docs/sub/b.bin']);

      // Narrowed by a path argument, only that path is hashed and planned.
      const narrowed = await runBlat(['plan', '--checksum', '--detailed-exitcode', 'docs/a.txt'], { cwd: box.root('here') });
      expect(narrowed.code).toBe(0);
      // And a plain plan after it is still the plain plan (no seen line written from a checksum scan).
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });
});
