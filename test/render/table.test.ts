import { describe, it, expect } from 'vitest';
import { renderPlanText } from '../../src/render/table.js';
import type { Plan } from '../../src/types.js';
import { bigPlan, emptyPlan, fullPlan, HOSTILE, hostilePlan, NEW } from './fixtures.js';

const plain = { color: false, full: false } as const;
const ESC = '\u001b';
const SGR = /\u001b\[\d+m/g;

/** The output line that contains every one of `parts`. */
function lineWith(text: string, ...parts: string[]): string {
  const found = text.split('\n').filter((l) => parts.every((p) => l.includes(p)));
  expect(found, `a line with ${JSON.stringify(parts)}`).toHaveLength(1);
  return found[0];
}

describe('renderPlanText: content', () => {
  const text = renderPlanText(fullPlan(), plain);

  it('ends with the summary line, then what remains, exactly', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines[lines.length - 2]).toBe('Plan: 1 to pull, 4 to push, 1 to trash, 1 deferred, 2 conflicts, 2 deletions to propagate; 3 versions will be kept in trash.');
    expect(lines[lines.length - 1]).toBe('Not in sync: 5 copies to make, 1 to trash, 2 conflicts, 1 held deletion, c unreachable (1 path owed).');
  });

  it('never says "in sync" while a machine did not answer, even with nothing to do', () => {
    const plan: Plan = { ...fullPlan(), steps: [], deferred: [], conflicts: [], deletions: [], warnings: [] };
    const out = renderPlanText(plan, plain);
    expect(out).not.toMatch(/in sync \(/);
    expect(out.trimEnd().split('\n').slice(-2)).toEqual(['No changes can be made now.', 'Not in sync: c unreachable.']);
  });

  it('counts an unreadable folder (a scan warning) as remaining', () => {
    const plan = { ...fullPlan(), machines: fullPlan().machines.filter((m) => m.status === 'online'), steps: [], deferred: [], conflicts: [], deletions: [], warnings: [{ kind: 'unreadable' as const, machine: 'a', path: 'docs/x', reason: 'permission denied' }] };
    expect(renderPlanText(plan, plain).trimEnd().split('\n').at(-1)).toBe('Not in sync: 1 unreadable folder.');
  });

  it('says "held" when no deletion is propagated and leaves out trash when there is none', () => {
    const plan: Plan = { ...fullPlan(), steps: fullPlan().steps.slice(0, 2), deletions: [fullPlan().deletions[1]] };
    const nothingKept: Plan = { ...plan, steps: plan.steps.map(({ replaces: _, ...s }) => s) };
    expect(renderPlanText(nothingKept, plain).trimEnd().split('\n').at(-2)).toBe('Plan: 1 to pull, 1 to push, 1 deferred, 2 conflicts, 1 deletions held.');
    const lines = renderPlanText(plan, plain).trimEnd().split('\n');
    expect(lines[lines.length - 2]).toBe('Plan: 1 to pull, 1 to push, 1 deferred, 2 conflicts, 1 deletions held; 2 versions will be kept in trash.');
  });

  it("shows every machine's state in the header, self marked, os and a clock offset beyond 1 s", () => {
    const a = lineWith(text, 'a (self)');
    expect(a).toMatch(/^ {2}a \(self\) +online +linux$/);
    expect(lineWith(text, 'b ', 'online', 'darwin')).toContain('clock +3.2 s');
    expect(lineWith(text, '  c ', 'offline (timeout)')).toMatch(/^ {2}c +offline \(timeout\)$/);
    expect(lineWith(text, 'outofuse (left out)')).toMatch(/^ {2}d +outofuse \(left out\)$/);
    expect(lineWith(text, '  e ', 'online')).toContain('clock -1.5 s');
    // |offset| <= 1 s is not shown
    expect(renderPlanText(emptyPlan(), plain)).not.toContain('clock');
  });

  it('lists steps with action, path, from → to, why, size and ISO mtime', () => {
    expect(lineWith(text, 'pull', 'docs/report.txt')).toMatch(
      /│ pull +│ docs\/report\.txt +│ b → a +│ newer on b; replaces a's version, changed since the last sync +│ 2\.0 KiB +│ 2024-05-01T10:40:00Z │/,
    );
    expect(lineWith(text, 'push', 'docs/report.txt')).toContain('older on b; replaces an older copy');
    expect(lineWith(text, 'push', 'docs/new.txt')).toMatch(/│ missing on b +│/);
    expect(lineWith(text, 'docs/link')).toContain('link → ../x/y');
    expect(lineWith(text, 'docs/sub')).toContain('│ dir ');
    expect(lineWith(text, '│ trash', 'old/gone.txt')).toMatch(/│ a → b +│ deleted on a; copy kept in trash +│ 10 B +│ 2024-04-30T18:00:00Z │/);
  });

  it('lists deferred entries with machine and reason', () => {
    expect(text).toContain('Deferred (1)');
    expect(lineWith(text, 'docs/report.txt', 'offline (timeout)')).toMatch(/│ docs\/report\.txt +│ c +│ offline \(timeout\) +│/);
  });

  it("lists every machine's version of a conflict: machines, mtime, size, changed or unchanged", () => {
    expect(text).toContain('Conflicts (2)');
    expect(lineWith(text, 'notes/todo.md')).toMatch(/│ notes\/todo\.md +│ changed on a and b +│ a +│ 2024-05-01T07:53:20Z +│ 100 B +│ changed +│/);
    expect(lineWith(text, '2024-05-01T08:10:00Z')).toMatch(/│ +│ +│ b +│ 2024-05-01T08:10:00Z +│ 120 B +│ changed +│/);
    expect(lineWith(text, '90 B')).toMatch(/│ e +│ 2024-05-01T05:06:40Z +│ 90 B +│ unchanged +│/);
    expect(lineWith(text, 'absent')).toMatch(/│ b +│ absent +│ +│ changed +│/);
  });

  it('lists warnings: a version dated in the future, with its machine and date', () => {
    expect(text).toMatch(/Warnings \(1\):\n {2}notes\/ahead\.md: dated 2030-09-02T03:43:20Z on b, in the future of its clock: it never wins by being newest\n/);
    expect(renderPlanText(emptyPlan(), plain)).not.toMatch(/Warnings/);
  });

  it('lists deletions: deleted on, still on, held or propagated', () => {
    expect(lineWith(text, 'old/kept.txt')).toMatch(/│ old\/kept\.txt +│ b +│ a +│ held +│/);
    expect(lineWith(text, '│ old/gone.txt', 'propagated')).toMatch(/│ old\/gone\.txt +│ a +│ b +│ propagated \(to trash\) +│/);
  });

  it('says "No changes" for an empty plan, with the machines and no Plan: line', () => {
    const out = renderPlanText(emptyPlan(), plain);
    expect(out.trimEnd().split('\n').pop()).toBe('No changes. Every machine is in sync (7 paths).');
    expect(out).not.toContain('Plan:');
    expect(out).toContain('a (self)');
  });
});

describe('renderPlanText: hostile names', () => {
  for (const color of [false, true]) {
    const text = renderPlanText(hostilePlan(), { color, full: false });
    const bare = text.replace(SGR, '');

    it(`prints no control or bidi character raw (color ${color})`, () => {
      expect(bare).not.toContain(ESC);
      expect(bare).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    });

    it(`keeps every hostile name on its own single row (color ${color})`, () => {
      const pushRows = bare.split('\n').filter((l) => l.startsWith('│ push'));
      expect(pushRows).toHaveLength(HOSTILE.length);
      expect(pushRows[0]).toContain('dir/a\\nb');
      expect(pushRows[2]).toContain('dir/\\x1b[2J');
      expect(pushRows[5]).toContain('dir/r\\u202eevil.txt');
      // harmless on a terminal, shown as they are
      expect(pushRows[1]).toContain('dir/$(rm -rf ~)');
      expect(pushRows[3]).toContain('dir/-rf');
      expect(pushRows[4]).toContain(`dir/it's "quoted"`);
      // machine names, reasons and link targets are escaped too
      expect(pushRows[0]).toContain('a → mx\\x1b[31m\\ny\\x00');
      expect(pushRows[0]).toContain('link → tx\\x1b[31m\\ny\\x00');
      expect(bare).toContain('offline (refusedx\\x1b[31m\\ny\\x00)');
      expect(bare).toContain('t\\x1b]0;pwned\\x07');
      expect(bare.split('\n').filter((l) => l.includes('│ a\\nb ') && l.includes('refusedx\\x1b[31m\\ny\\x00'))).toHaveLength(1);
    });
  }
});

describe('renderPlanText: long sections', () => {
  it('lists 20 steps one by one', () => {
    const text = renderPlanText(bigPlan(20), plain);
    expect(text.split('\n').filter((l) => l.startsWith('│ push'))).toHaveLength(20);
    expect(text).not.toContain('--full');
  });

  it('counts more than 20 steps per folder and machine, in files and bytes, the largest first', () => {
    const text = renderPlanText(bigPlan(120), plain);
    const rows = text.split('\n').filter((l) => l.startsWith('│ docs/'));
    expect(rows.map((l) => l.split('│').slice(1, 6).map((c) => c.trim()))).toEqual([
      ['docs/a/', 'push', 'to b', '40', '80.0 KiB'],
      ['docs/a/', 'push', 'to c', '40', '80.0 KiB'],
      ['docs/b/', 'push', 'to b', '20', '40.0 KiB'],
      ['docs/b/', 'push', 'to c', '20', '40.0 KiB'],
    ]);
    expect(text).toContain('Steps (120), per folder and machine:');
    expect(text).toContain('(every step: blat plan --full)');
    expect(text).not.toContain('f1.txt');
    expect(text.trimEnd().split('\n').slice(-3)).toEqual(['Push 120 files (240.0 KiB) to 2 machines.', 'Plan: 0 to pull, 120 to push, 0 deferred, 0 conflicts, 0 deletions held.', 'Not in sync: 120 copies to make.']);
  });

  it('lists every path with full', () => {
    const text = renderPlanText(bigPlan(120), { color: false, full: true });
    const rows = text.split('\n').filter((l) => l.startsWith('│ push'));
    expect(rows).toHaveLength(120);
    for (let i = 0; i < 120; i++) expect(text).toContain(`/f${i}.txt `);
    expect(text).not.toContain('--full');
  });

  it('lists the first 10 conflicts and held deletions, counts deferred entries per machine, and says how many more --full shows', () => {
    const many = Array.from({ length: 60 }, (_, i) => `top/sub${i % 2}/f${i}`);
    const plan: Plan = {
      ...emptyPlan(),
      machines: [...emptyPlan().machines, { name: 'c', status: 'offline', reason: 'timeout' }],
      deferred: many.map((path) => ({ path, machine: 'c', reason: 'offline (timeout)', source: NEW })),
      conflicts: many.map((path) => ({
        path: `x/${path}`,
        reason: 'changed on a and b',
        versions: [
          { machines: ['a'], entry: NEW, changed: true },
          { machines: ['b'], entry: null, changed: true },
        ],
      })),
      deletions: many.map((path, i) => ({ path: `y/${path}`, deletedOn: ['b'], heldOn: ['a'], propagated: i < 30 })),
    };
    const text = renderPlanText(plan, plain);
    expect(text).toContain('  c: 60 files (120.0 KiB) owed: offline (timeout)\n');
    expect(text).toContain('│ x/top/sub1/f9 ');
    expect(text).not.toContain('│ x/top/sub0/f10 ');
    expect(text).toContain('  (and 50 more conflicts: blat plan --full)\n');
    // The held deletions come first: they wait for a decision.
    expect(text).toContain('│ y/top/sub0/f30 ');
    expect(text).not.toContain('│ y/top/sub0/f0 ');
    expect(text).toContain('  (and 50 more deletions: blat plan --full)\n');
    expect(text.split('\n').length).toBeLessThanOrEqual(70);
    const full = renderPlanText(plan, { color: false, full: true });
    expect(full).toContain('│ top/sub1/f7 ');
    expect(full).toContain('│ x/top/sub1/f59 ');
    expect(full).toContain('│ y/top/sub1/f7 ');
    expect(full).not.toContain('more conflicts');
  });

  it('names the top folder ./', () => {
    const plan: Plan = {
      ...bigPlan(0),
      steps: Array.from({ length: 51 }, (_, i) => ({ action: 'pull' as const, path: `f${i}`, from: 'b', to: 'a', source: NEW, target: null })),
    };
    const text = renderPlanText(plan, plain);
    expect(lineWith(text, '│ ./ ').split('│').slice(1, 6).map((c) => c.trim())).toEqual(['./', 'pull', 'from b', '51', '102.0 KiB']);
    expect(text).toContain('\nPull 51 files (102.0 KiB) from b.\n');
  });

  it('fits 20,000 steps in 40 lines, no line wider than the width, whatever the folders', () => {
    const plan: Plan = { ...bigPlan(20_000) };
    const spread: Plan = { ...plan, steps: plan.steps.map((s, i) => ({ ...s, path: `top${i % 37}/${'deep/'.repeat(i % 5)}f${i}.txt` })) };
    for (const p of [plan, spread]) {
      for (const width of [80, 50]) {
        const lines = renderPlanText(p, { ...plain, width }).trimEnd().split('\n');
        expect(lines.length).toBeLessThanOrEqual(40);
        // At 80 every line fits; narrower, the Plan: and Not in sync: lines stay whole (scripts match them).
        const fitted = width === 80 ? lines : lines.slice(0, -2);
        expect(Math.max(...fitted.map((l) => [...l].length))).toBeLessThanOrEqual(width);
      }
    }
    expect(renderPlanText(spread, { ...plain, width: 80 })).toContain('(and 62 more folders and machines: blat plan --full)');
  });
});

describe('renderPlanText: colour and width', () => {
  it('writes no escape code at all without colour', () => {
    expect(renderPlanText(fullPlan(), plain)).not.toContain(ESC);
    expect(renderPlanText(bigPlan(120), plain)).not.toContain(ESC);
    expect(renderPlanText(emptyPlan(), plain)).not.toContain(ESC);
  });

  it('adds ANSI colours with colour, and nothing else', () => {
    const colored = renderPlanText(fullPlan(), { color: true, full: false });
    expect(colored).toContain('\u001b[32mpush\u001b[39m');
    expect(colored).toContain('\u001b[36mpull\u001b[39m');
    expect(colored).toContain('\u001b[31moffline (timeout)\u001b[39m');
    expect(colored.replace(SGR, '')).toBe(renderPlanText(fullPlan(), plain));
  });

  it('shortens long paths in the middle to fit the width, one row each, never wrapped', () => {
    const long = `docs/${'very/'.repeat(20)}long/file.txt`;
    const plan: Plan = { ...bigPlan(3), steps: bigPlan(3).steps.map((s, i) => ({ ...s, path: i === 0 ? long : s.path })) };
    const narrow = renderPlanText(plan, { ...plain, width: 80 });
    const rows = narrow.split('\n').filter((l) => l.startsWith('│ push'));
    expect(rows).toHaveLength(3);
    const cell = rows[0].split('│')[2].trim();
    expect(cell).toMatch(/^docs\/very\/.*….*\/long\/file\.txt$/);
    for (const line of narrow.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    // --full lists every path whole.
    expect(renderPlanText(plan, { ...plain, full: true, width: 80 })).toContain(`│ ${long} `);
  });

  it('shows conflicts too wide for a table as each path and reason, then a line per version', () => {
    const text = renderPlanText(fullPlan(), { ...plain, width: 80 });
    expect(text).toContain('\n  notes/todo.md — changed on a and b\n    a  2024-05-01T07:53:20Z  100 B  changed since the last sync\n');
    expect(text).toContain('\n    b  absent                     changed since the last sync\n');
    expect(renderPlanText(fullPlan(), { ...plain, width: 200 })).toMatch(/│ notes\/todo\.md +│ changed on a and b +│ a +│ 2024-05-01T07:53:20Z +│ 100 B +│ changed +│/);
  });

  it('says a long offline reason in full below the machines when the header would be too wide', () => {
    const reason = 'root missing: disk not mounted, or a wrong root? (/media/a/very/long/path/to/the/root of the machine)';
    const plan: Plan = { ...emptyPlan(), machines: [...emptyPlan().machines, { name: 'usb', status: 'offline', rootMissing: true, reason }] };
    const text = renderPlanText(plan, { ...plain, width: 60 });
    expect(text).toMatch(/^ {2}usb +root missing *$/m);
    expect(text.split('\n').slice(0, -3).join('\n').replace(/\n {4}/g, ' ')).toContain(`  usb: ${reason}`);
    for (const line of text.trimEnd().split('\n').slice(0, -2)) expect([...line].length).toBeLessThanOrEqual(60);
  });

  it('gives up the mtime, then the why, before shortening paths; says how many steps replace a changed version', () => {
    const at = (width: number) => renderPlanText(fullPlan(), { ...plain, width });
    expect(lineWith(at(200), '│ pull ', 'docs/report.txt')).toMatch(/│ newer on b; replaces a's version, changed since the last sync +│ 2\.0 KiB +│ 2024-05-01T10:40:00Z +│$/);
    expect(lineWith(at(125), '│ pull ', 'docs/report.txt')).toMatch(/│ newer on b; replaces a's version, changed since the last sync +│ 2\.0 KiB +│$/);
    const narrow = at(60);
    expect(lineWith(narrow, '│ pull ', 'docs/report.txt')).toMatch(/^│ pull +│ docs\/report\.txt +│ b → a +│ 2\.0 KiB +│$/);
    expect(narrow.replace(/\n {4}/g, ' ')).toContain('  (1 step replaces a version changed since the last sync, kept in trash: blat plan --full)');
    expect(at(50)).toContain('\n  c: 1 file (2.0 KiB) owed: offline (timeout)\n');
  });

  it('fits hostile names escaped first, then shortened: no raw control character, no line wider than the width', () => {
    for (const color of [false, true]) {
      const text = renderPlanText(hostilePlan(), { color, full: false, width: 60 });
      expect(text.replace(SGR, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      const last = 2; // the Plan: and Not in sync: lines are matched whole by scripts
      for (const line of text.replace(SGR, '').trimEnd().split('\n').slice(0, -last)) expect([...line].length).toBeLessThanOrEqual(60);
    }
  });
});

describe('renderPlanText: the mass-deletion guard', () => {
  const problem = 'm2: propagating deletions would move 30 of the 50 files it holds to trash (more than 50% of them); is a disk unmounted?';

  it('says nothing of the guard when it was not asked', () => {
    expect(renderPlanText(fullPlan(), plain)).not.toMatch(/guard/i);
  });

  it('says it passes, just before the summary line', () => {
    const lines = renderPlanText(fullPlan(), { ...plain, deletionGuard: [] }).trimEnd().split('\n');
    expect(lines.slice(-7)).toEqual(['Deletion guard: passes', '', 'Pull 1 file (2.0 KiB) from b.', 'Push 3 files (4.0 KiB) to b.', 'Move 1 file to trash on b.', expect.stringMatching(/^Plan: /), expect.stringMatching(/^Not in sync: /)]);
  });

  it('says apply would refuse, how to go ahead, and each machine on its own line', () => {
    const text = renderPlanText(fullPlan(), { ...plain, deletionGuard: [problem, 'm3: a\nb'] });
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(-9, -1)).toEqual([
      'Deletion guard: apply would refuse (check that no disk is unmounted; pass --force-deletes to go ahead):',
      `  ${problem}`,
      '  m3: a\\nb',
      '',
      'Pull 1 file (2.0 KiB) from b.',
      'Push 3 files (4.0 KiB) to b.',
      'Move 1 file to trash on b.',
      expect.stringMatching(/^Plan: /),
    ]);
  });
});
