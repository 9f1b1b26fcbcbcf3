// End to end: `blat diff` shows two versions of a file, read over ssh, writing nothing anywhere.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { expectOneError, useDocsMachines, writeRandomFile } from './support.js';
import { writeMtime } from '../helpers/tree.js';

const SSH = ['m1', 'm2', 'm3'];
const machines = useDocsMachines(SSH);
const sandbox = machines.sandbox;

describe('blat diff', () => {
  it('shows a conflict\'s two newest versions as a unified diff, or the two named machines\', hostile text escaped, nothing written', async () => {
    const box = await sandbox();
    try {
      const base = 'line 1\nline 2\nline 3\n';
      for (const m of ['here', 'm1']) await box.write(m, 'docs/f.txt', base, '1700000000.5');
      await box.write('m2', 'docs/f.txt', 'line 1\nline 2 edited on m2\nline 3\n', '1700000100.25');
      await box.write('m3', 'docs/f.txt', 'line 1\nline 2\nline 3\nm3 added \u001b[31mred\u001b[0m\tand a tab\n', '1700000200.5');
      const before = await Promise.all(['here', ...SSH].map((m) => box.listTree(m)));

      const r = await runBlat(['diff', 'docs/f.txt'], { cwd: box.root('here') });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        [
          '--- m2:docs/f.txt\t2023-11-14 22:15:00.25 UTC, 34 B, mode 644',
          '+++ m3:docs/f.txt\t2023-11-14 22:16:40.5 UTC, 53 B, mode 644',
          '@@ -1,3 +1,4 @@',
          ' line 1',
          '-line 2 edited on m2',
          '+line 2',
          ' line 3',
          '+m3 added \\x1b[31mred\\x1b[0m\tand a tab',
          '',
        ].join('\n'),
      );
      const named = await runBlat(['diff', 'docs/f.txt', 'm1', 'm2'], { cwd: box.root('here') });
      expect(named.code).toBe(0);
      expect(named.stdout.split('\n').slice(0, 2)).toEqual([
        '--- m1, here:docs/f.txt\t2023-11-14 22:13:20.5 UTC, 21 B, mode 644',
        '+++ m2:docs/f.txt\t2023-11-14 22:15:00.25 UTC, 34 B, mode 644',
      ]);
      // Nothing was written on any machine, not even a temporary file.
      expect(await Promise.all(['here', ...SSH].map((m) => box.listTree(m)))).toEqual(before);
    } finally {
      await box.cleanup();
    }
  });

  it('compares binary versions by size, mtime and sha256; says when every machine holds one version', async () => {
    const box = await sandbox();
    try {
      for (const m of ['here', 'm1', 'm2', 'm3']) await box.write(m, 'docs/same.txt', 'same\n', '1700000000');
      await box.mkdir('m1', 'docs');
      await writeRandomFile(join(box.root('m1'), 'docs', 'b.bin'), 4096);
      await writeMtime(join(box.root('m1'), 'docs', 'b.bin'), '1700000300');
      await box.write('m2', 'docs/b.bin', Buffer.from([0, 1, 2, 3]).toString('latin1'), '1700000100');
      const r = await runBlat(['diff', 'docs/b.bin'], { cwd: box.root('here') });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^docs\/b\.bin: binary content; compared by size, mtime and sha256\.\n {2}m2:docs\/b\.bin\n {4}size 4 B \(4 bytes\), mtime 2023-11-14 22:15:00 UTC, mode 644\n {4}sha256 054edec1d0211f624fed0cbca9d4f9400b0e491c43742af2c5b0abebf0c990d8\n {2}m1:docs\/b\.bin\n {4}size 4\.0 KiB \(4096 bytes\), mtime 2023-11-14 22:18:20 UTC, mode 644\n {4}sha256 [0-9a-f]{64}\nContents differ\.\n$/);
      const same = await runBlat(['diff', 'docs/same.txt'], { cwd: box.root('here') });
      expect(same.stdout).toBe('docs/same.txt: one version on m1, m2, m3, here (file, 5 B, mode 644); nothing to compare.\n');
      expect(same.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('bad input: one clear line, exit 1', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/d/x.txt', 'x\n', '1700000000');
      const cwd = box.root('here');
      expectOneError(await runBlat(['diff', 'docs/d'], { cwd }), 'blat: docs/d is a folder: name a file under it');
      expectOneError(await runBlat(['diff', 'docs/none.txt'], { cwd }), 'blat: docs/none.txt: no machine that answered holds it');
      expectOneError(await runBlat(['diff', 'docs/d/x.txt', 'm1', 'nosuch'], { cwd }), new RegExp('^blat: diff: nosuch is not a machine in .*blat\\.yaml \\(machines: m1, m2, m3, here\\)$'));
      expectOneError(await runBlat(['diff', 'docs/d/x.txt', 'm1'], { cwd }), 'blat: diff: name two machines, or none (the two newest versions)');
      expectOneError(await runBlat(['diff', 'docs/d/x.txt', 'here', 'm1'], { cwd }), 'blat: docs/d/x.txt: m1 holds no copy of it');
    } finally {
      await box.cleanup();
    }
  });
});
