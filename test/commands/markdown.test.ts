// End to end: `blat plan --markdown` and `blat show FILE --markdown`, the pull-request comment of a CI job.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox } from '../helpers/machines.js';

describe('blat plan --markdown', () => {
  it('fits a plan of 20,000 new files in 60,000 characters, and appends the same text to $GITHUB_STEP_SUMMARY', async () => {
    const box = await makeSandbox({ ssh: [], local: ['here', 'usb'], self: 'here', paths: ['docs'] });
    try {
      const folder = join(box.root('here'), 'docs', 'photos');
      await mkdir(folder, { recursive: true });
      for (let i = 0; i < 20_000; i += 1000) {
        await Promise.all(Array.from({ length: 1000 }, (_, k) => writeFile(join(folder, `p${i + k}.jpg`), 'x')));
      }
      await mkdir(join(box.root('usb'), 'docs'), { recursive: true });
      const summary = join(box.dir, 'step-summary.md');
      await writeFile(summary, '# earlier step\n');
      const r = await runBlat(['plan', '--markdown', '--detailed-exitcode', '--out', 'plan.json'], { cwd: box.dir, env: { GITHUB_STEP_SUMMARY: summary } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(2);
      expect(r.stdout.length).toBeLessThanOrEqual(60_000);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toBe('## blat plan: changes to apply');
      expect(lines[2]).toBe('**Summary:** push 20,000 files (19.5 KiB) to usb · 1 paths in sync');
      expect(r.stdout).toContain('<details><summary>push to usb: 20,000 files (19.5 KiB)</summary>');
      expect(r.stdout).toMatch(/…and [\d,]+ more, cut to fit the comment/);
      expect(await readFile(summary, 'utf8')).toBe(`# earlier step\n${r.stdout}`);

      // The same text for the saved plan.
      const shown = await runBlat(['show', 'plan.json', '--markdown'], { cwd: box.dir });
      expect(shown.code).toBe(0);
      expect(shown.stdout).toBe(r.stdout);
      const both = await runBlat(['plan', '--markdown', '--json'], { cwd: box.dir });
      expect(both).toMatchObject({ code: 1, stdout: '', stderr: 'blat: --json and --markdown: choose one\n' });
    } finally {
      await box.cleanup();
    }
  }, 60_000);
});
