import { describe, it, expect } from 'vitest';
import { formatCount, renderNoChangesLine, renderRemainingLine, renderSummaryLine } from '../../src/render/summary.js';

const counts = { pull: 1, push: 4, trash: 0, deferred: 2, conflicts: 3, deletions: 5, kept: 0 };

describe('renderSummaryLine', () => {
  it('has the fixed shape with held deletions', () => {
    expect(renderSummaryLine(counts, false)).toBe('Plan: 1 to pull, 4 to push, 2 deferred, 3 conflicts, 5 deletions held.');
  });

  it('adds trash steps before deferred when there are any', () => {
    expect(renderSummaryLine({ ...counts, trash: 6 }, false)).toBe(
      'Plan: 1 to pull, 4 to push, 6 to trash, 2 deferred, 3 conflicts, 5 deletions held.',
    );
  });

  it('says "to propagate" when deletions are propagated', () => {
    expect(renderSummaryLine({ ...counts, trash: 5 }, true)).toBe(
      'Plan: 1 to pull, 4 to push, 5 to trash, 2 deferred, 3 conflicts, 5 deletions to propagate.',
    );
  });

  it('ends with the versions that will be kept in trash, when some are', () => {
    expect(renderSummaryLine({ ...counts, trash: 5, kept: 7 }, true)).toBe(
      'Plan: 1 to pull, 4 to push, 5 to trash, 2 deferred, 3 conflicts, 5 deletions to propagate; 7 versions will be kept in trash.',
    );
  });

  it('prints zero counts', () => {
    expect(renderSummaryLine({ pull: 0, push: 0, trash: 0, deferred: 0, conflicts: 0, deletions: 0, kept: 0 }, false)).toBe(
      'Plan: 0 to pull, 0 to push, 0 deferred, 0 conflicts, 0 deletions held.',
    );
  });
});

describe('renderNoChangesLine', () => {
  it('names the number of paths in sync', () => {
    expect(renderNoChangesLine(12)).toBe('No changes. Every machine is in sync (12 paths).');
  });
});

describe('renderRemainingLine', () => {
  it('says in sync only when nothing remains', () => {
    expect(renderRemainingLine([])).toBe('In sync: every machine answered and holds the same versions.');
  });

  it('says what remains, in words, machines last', () => {
    expect(
      renderRemainingLine([
        { kind: 'to copy', count: 1 },
        { kind: 'to trash', count: 2 },
        { kind: 'conflict', count: 1 },
        { kind: 'held deletion', count: 2 },
        { kind: 'failed', count: 3 },
        { kind: 'stale', count: 1 },
        { kind: 'unreadable', count: 1 },
        { kind: 'unreachable', machine: 'm2', reason: 'stalled (no answer for 60 s)', owed: 1 },
        { kind: 'unreachable', machine: 'm3', reason: 'refused', owed: 3 },
        { kind: 'unreachable', machine: 'm4', owed: 0 },
      ]),
    ).toBe('Not in sync: 1 copy to make, 2 to trash, 1 conflict, 2 held deletions, 3 failed, 1 stale, 1 unreadable folder, m2 stalled (1 path owed), m3 unreachable (3 paths owed), m4 unreachable.');
  });

  it('says last that an apply was stopped by an error', () => {
    expect(renderRemainingLine([{ kind: 'to copy', count: 2 }, { kind: 'stopped' }])).toBe(
      'Not in sync: 2 copies to make, apply stopped by an error (run blat plan to see where the machines stand).',
    );
  });

  it('escapes a hostile machine name', () => {
    expect(renderRemainingLine([{ kind: 'unreachable', machine: 'm\u001b[2J', owed: 0 }])).not.toContain('\u001b');
  });
});

describe('describeTransfers: steps that send nothing', () => {
  it('says the moves and the versions kept aside before what is sent, on the machines that run them', async () => {
    const { describeTransfers } = await import('../../src/render/summary.js');
    const { fullPlan, NEW } = await import('./fixtures.js');
    const base = fullPlan();
    const dir = { type: 'dir' as const, mtime: 1_714_000_000, size: 0, mode: 0o755 };
    const plan = {
      ...base,
      steps: [
        { action: 'copy-aside' as const, path: 'notes/todo.md', from: 'b', to: 'b', source: NEW, target: null, as: 'notes/todo.conflict-b-20240501-120000.md' },
        { action: 'move' as const, path: 'photos/2024', was: 'photos/new', from: 'a', to: 'b', source: dir, target: null },
        { action: 'move' as const, path: 'photos/2024', was: 'photos/new', from: 'a', to: 'e', source: dir, target: null },
        ...base.steps,
      ],
    };
    const text = describeTransfers(plan);
    expect(text.startsWith('keep 1 version aside on b, move 2 paths on 2 machines (mv, nothing sent), pull ')).toBe(true);
  });
});

describe('formatCount', () => {
  it('groups thousands with commas, as en-US does, whatever the locale', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 1_234_567_890, -1_234_567]) expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
  });
});
