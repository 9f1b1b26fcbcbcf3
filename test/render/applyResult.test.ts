import { describe, it, expect } from 'vitest';
import { renderApplyResult, summariseDone, type OutcomeView } from '../../src/render/applyResult.js';
import { formatDuration } from '../../src/render/format.js';
import { fullPlan } from './fixtures.js';

const steps = fullPlan().steps; // pull 2 KiB, push 2 KiB, push 2 KiB, push link, push dir, trash

describe('renderApplyResult', () => {
  it('counts the files copied and their bytes, and the time it took, then the outcomes', () => {
    const outcomes: OutcomeView[] = steps.map((step) => ({ step, status: 'done' }));
    expect(summariseDone(outcomes)).toEqual({ files: 4, bytes: 3 * 2048 });
    const text = renderApplyResult(outcomes, [], { color: false, remaining: [], elapsedMs: 12_345 });
    expect(text.trimEnd().split('\n')).toEqual([
      'Apply complete: 4 files (6.0 KiB) in 12.3 s; 6 done, 0 failed, 0 stale, 0 deferred.',
      'In sync: every machine answered and holds the same versions.',
    ]);
  });

  it('counts only what was done, and keeps what remains last', () => {
    const outcomes: OutcomeView[] = steps.map((step, i) => ({ step, status: i < 2 ? 'failed' : 'done', reason: 'unreachable' }));
    const lines = renderApplyResult(outcomes, [], { color: false, remaining: [{ kind: 'to copy', count: 2 }], elapsedMs: 125_000 }).trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^Apply finished: 2 files \(2\.0 KiB\) in 2 min 05 s; 4 done, 2 failed, 0 stale, 0 deferred\. What remains is owed/);
    expect(lines.at(-1)).toBe('Not in sync: 2 copies to make.');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0.0 s'],
    [400, '0.4 s'],
    [12_345, '12.3 s'],
    [59_940, '59.9 s'],
    [60_000, '1 min 00 s'],
    [3_599_000, '59 min 59 s'],
    [3_720_000, '1 h 02 min'],
  ])('%i ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
