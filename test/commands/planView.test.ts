// End to end, on one plan of 20,000 new files: the default view fits a screen (about 40 lines, no
// line wider than COLUMNS), --full lists every step, and --markdown fits a pull-request comment.
import { link, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';

let box: Sandbox;

beforeAll(async () => {
  box = await makeSandbox({ ssh: [], local: ['here', 'usb'], self: 'here', paths: ['docs'] });
  const folder = join(box.root('here'), 'docs', 'photos');
  const long = join(box.root('here'), 'docs', ...Array.from({ length: 12 }, (_, i) => `a-rather-long-folder-name-${i}`));
  await mkdir(folder, { recursive: true });
  await mkdir(long, { recursive: true });
  await writeFile(join(long, 'the-file-at-the-end.txt'), 'x');
  // Hard links to one 1-byte file: 20,000 paths as the scan sees them, without making 20,000 inodes
  // (a new file costs 150-400 µs on this disk).
  await writeFile(join(folder, 'p0.jpg'), 'x');
  for (let i = 1; i < 20_000; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, 20_000 - i) }, (_, k) => link(join(folder, 'p0.jpg'), join(folder, `p${i + k}.jpg`))));
  }
  await mkdir(join(box.root('usb'), 'docs'), { recursive: true });
}, 60_000);

afterAll(async () => {
  await box?.cleanup();
});

describe('blat plan: a view that fits a screen', () => {
  it('shows a 20,000-step plan in at most 40 lines no wider than COLUMNS (80 when unknown); --full lists every step', async () => {
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
  }, 60_000);
});

describe('blat plan --markdown', () => {
  it('fits a plan of 20,000 new files in 60,000 characters, and appends the same text to $GITHUB_STEP_SUMMARY', async () => {
    const summary = join(box.dir, 'step-summary.md');
    await writeFile(summary, '# earlier step\n');
    const r = await runBlat(['plan', '--markdown', '--detailed-exitcode', '--out', 'plan.json'], { cwd: box.dir, env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBeLessThanOrEqual(60_000);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('## blat plan: changes to apply');
    expect(lines[2]).toBe('**Summary:** push 20,001 files (19.5 KiB) to usb · 1 paths in sync');
    expect(r.stdout).toContain('<details><summary>push to usb: 20,001 files (19.5 KiB)</summary>');
    expect(r.stdout).toMatch(/…and [\d,]+ more, cut to fit the comment/);
    expect(await readFile(summary, 'utf8')).toBe(`# earlier step\n${r.stdout}`);

    // The same text for the saved plan.
    const shown = await runBlat(['show', 'plan.json', '--markdown'], { cwd: box.dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(r.stdout);
    const both = await runBlat(['plan', '--markdown', '--json'], { cwd: box.dir });
    expect(both).toMatchObject({ code: 1, stdout: '', stderr: 'blat: --json and --markdown: choose one\n' });
  }, 60_000);
});
