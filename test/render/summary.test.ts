import { describe, it, expect } from 'vitest';
import { renderNoChangesLine, renderSummaryLine } from '../../src/render/summary.js';

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
