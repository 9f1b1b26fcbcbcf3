import { describe, expect, it } from 'vitest';
import { escapeMarkdown, MARKDOWN_MAX_CHARS, renderPlanMarkdown } from '../../src/render/markdown.js';
import { bigPlan, emptyPlan, fullPlan, HOSTILE, hostilePlan } from './fixtures.js';

describe('renderPlanMarkdown', () => {
  it('has a title with the outcome, one summary line in files and bytes, a warning for deletions, and folded sections per machine', () => {
    const text = renderPlanMarkdown(fullPlan());
    const lines = text.split('\n');
    expect(lines[0]).toBe('## blat plan: 2 conflicts to resolve');
    expect(lines[2]).toBe(
      '**Summary:** pull 1 file (2.0 KiB) from b · push 3 files (4.0 KiB) to b · move 1 file to trash on b · 1 owed to offline machines · 2 conflicts · 1 deletion held · 1 warning · c offline (timeout) · 42 paths in sync',
    );
    expect(text).toContain('> [!WARNING]\n> 1 deletion is propagated: the remaining copies will be moved to each machine\'s trash.');
    expect(text).toContain('> [!WARNING]\n> 1 deletion is held:');
    expect(renderPlanMarkdown(fullPlan(), { deletionGuard: [] })).toContain("moved to each machine's trash.\n> Deletion guard: passes.");
    expect(renderPlanMarkdown(fullPlan(), { deletionGuard: ['b: too many'] })).toContain('> Deletion guard: apply would refuse (pass --force-deletes to go ahead):\n> - b: too many');
    expect(text).toContain('<details><summary>pull to a (self): 1 file (2.0 KiB)</summary>');
    expect(text).toContain('<details><summary>push to b: 3 files (4.0 KiB)</summary>');
    expect(text).toContain('<details><summary>trash on b: 1 file</summary>');
    expect(text).toContain('<details><summary>Conflicts: 2 (resolve with blat diff, then --prefer MACHINE)</summary>');
    expect(text).toContain('| push | docs/link | a → b | link → ../x/y | 2024-04-24T23:06:40Z |');
    expect(text).toContain('| notes/ahead.md | b | dated 2030-09-02T03:43:20Z, in the future of its clock: never wins by being newest |');
    expect(text.match(/<details>/g)?.length).toBe(text.match(/<\/details>/g)?.length);
  });

  it('says in sync only when nothing remains and every machine answered', () => {
    expect(renderPlanMarkdown(emptyPlan()).split('\n')[0]).toBe('## blat plan: no changes, every machine is in sync');
    const offline = { ...emptyPlan(), machines: [...emptyPlan().machines, { name: 'c', status: 'offline' as const, reason: 'timeout' }] };
    expect(renderPlanMarkdown(offline).split('\n')[0]).toBe('## blat plan: nothing to apply, but not in sync');
  });

  it('keeps 20,000 changed files under 60,000 characters and says what was cut', () => {
    const text = renderPlanMarkdown(bigPlan(20_000));
    expect(text.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(text).toContain('**Summary:** push 20,000 files (39.1 MiB) to 2 machines · 7 paths in sync');
    expect(text).toMatch(/…and [\d,]+ more, cut to fit the comment \(run `blat plan --full` for every path\)\./);
    // Both machines' sections are there, each with some rows.
    expect(text).toContain('<details><summary>push to b: 10,000 files (19.5 MiB)</summary>');
    expect(text).toContain('<details><summary>push to c: 10,000 files (19.5 MiB)</summary>');
    expect(text.match(/^\| push \| docs\/.*→ b /gm)?.length).toBeGreaterThan(50);
    expect(text.match(/^\| push \| docs\/.*→ c /gm)?.length).toBeGreaterThan(50);
    expect(text.match(/<details>/g)?.length).toBe(text.match(/<\/details>/g)?.length);
  });

  it('never lets a name break the table, open HTML or reach a terminal raw', () => {
    const text = renderPlanMarkdown(hostilePlan());
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    // Every row has as many cells as its table's head: no stray `|` from a name.
    let cells = 0;
    let rows = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('|---')) continue;
      if (!line.startsWith('|')) {
        cells = 0;
        continue;
      }
      const n = line.split('|').length;
      if (cells === 0) cells = n;
      else {
        expect(n, line).toBe(cells);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(30);
    expect(escapeMarkdown('a|b<script>`x`*y*_z_[l](u)\n')).toBe('a&#124;b&lt;script&gt;\\`x\\`\\*y\\*\\_z\\_\\[l\\](u)\\\\n');
    for (const name of HOSTILE) expect(escapeMarkdown(name)).not.toMatch(/[\n\r\u001b\u202e]/);
  });
});
