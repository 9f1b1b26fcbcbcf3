// End to end: the default plan view fits a screen (about 40 lines, no line wider than COLUMNS), --full lists every step.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox } from '../helpers/machines.js';

describe('blat plan: a view that fits a screen', () => {
  it('shows a 20,000-step plan in at most 40 lines no wider than COLUMNS (80 when unknown); --full lists every step', async () => {
    const box = await makeSandbox({ ssh: [], local: ['here', 'usb'], self: 'here', paths: ['docs'] });
    try {
      const folder = join(box.root('here'), 'docs', 'photos');
      const long = join(box.root('here'), 'docs', ...Array.from({ length: 12 }, (_, i) => `a-rather-long-folder-name-${i}`));
      await mkdir(folder, { recursive: true });
      await mkdir(long, { recursive: true });
      await writeFile(join(long, 'the-file-at-the-end.txt'), 'x');
      for (let i = 0; i < 20_000; i += 1000) {
        await Promise.all(Array.from({ length: 1000 }, (_, k) => writeFile(join(folder, `p${i + k}.jpg`), 'x')));
      }
      await mkdir(join(box.root('usb'), 'docs'), { recursive: true });

      for (const [columns, width] of [['', 80], ['100', 100]] as const) {
        const r = await runBlat(['plan'], { cwd: box.dir, env: { COLUMNS: columns } });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const lines = r.stdout.trimEnd().split('\n');
        expect(lines.length).toBeLessThanOrEqual(40);
        for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(width);
        expect(r.stdout).toContain('Push 20,001 files (19.5 KiB) to usb.\n');
        expect(r.stdout).toMatch(/│ docs\/photos\/\s+│ push\s+│ to usb\s+│ 20,000 │ 19\.5 KiB │/);
        expect(lines.slice(-2)).toEqual(['Plan: 0 to pull, 20014 to push, 0 deferred, 0 conflicts, 0 deletions held.', 'Not in sync: 20014 copies to make.']);
      }

      const full = await runBlat(['plan', '--full'], { cwd: box.dir, env: { COLUMNS: '80' } });
      expect(full.code).toBe(0);
      expect(full.stdout.split('\n').filter((l) => l.startsWith('│ push'))).toHaveLength(20_014);
      expect(full.stdout).toContain('/a-rather-long-folder-name-11/the-file-at-the-end.txt');
    } finally {
      await box.cleanup();
    }
  }, 60_000);
});
