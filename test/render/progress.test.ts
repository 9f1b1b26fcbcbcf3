import { describe, it, expect } from 'vitest';
import { buildProgressState, estimateLeftMs, measureRate, renderProgressLines, updateProgress, type ProgressReport, type ProgressState } from '../../src/render/progress.js';

const MiB = 1024 * 1024;
const report = (filesDone: number, bytesDone: number, machines?: ProgressReport['machines']): ProgressReport => ({ filesDone, filesTotal: 100, bytesDone, bytesTotal: 100 * MiB, machines });

/** The state after feeding `reports` at their times. */
function feed(reports: readonly (readonly [number, ProgressReport])[]): ProgressState {
  return reports.reduce((s, [t, r]) => updateProgress(s, r, t), buildProgressState(0));
}

describe('progress: the percentage never goes back', () => {
  it.each([
    ['steady', [[1000, report(10, 10 * MiB)], [2000, report(20, 20 * MiB)]], 20],
    ['a retried transfer reports fewer bytes', [[1000, report(10, 50 * MiB)], [2000, report(10, 5 * MiB)]], 50],
    ['bytes all sent, files not all checked: 99', [[1000, report(90, 100 * MiB)]], 99],
    ['everything done: 100', [[1000, report(100, 100 * MiB)]], 100],
    ['more than the total is reported (a file grew)', [[1000, report(100, 300 * MiB)]], 100],
  ] as const)('%s → %i%%', (_what, reports, percent) => {
    const state = feed(reports);
    expect(state.percent).toBe(percent);
    let seen = 0;
    for (let k = 1; k <= reports.length; k++) {
      const p = feed(reports.slice(0, k)).percent;
      expect(p).toBeGreaterThanOrEqual(seen);
      seen = p;
    }
  });

  it('counts files when nothing has bytes (folders, links)', () => {
    const s = updateProgress(buildProgressState(0), { filesDone: 3, filesTotal: 4, bytesDone: 0, bytesTotal: 0 }, 1000);
    expect(s.percent).toBe(75);
  });
});

describe('progress: rate and time left', () => {
  it.each([
    ['no byte yet: unknown', [[500, report(0, 0)]], 1000, undefined, undefined],
    ['10 MiB in 2 s since the start', [[2000, report(10, 10 * MiB)]], 2000, 5 * MiB, 18_000],
    ['the recent window, not the start: 10 MiB/s over the last 2 s', [[20_000, report(10, 10 * MiB)], [22_000, report(30, 30 * MiB)]], 22_000, 10 * MiB, 7000],
    ['samples older than 10 s are forgotten', [[1000, report(1, 1 * MiB)], [12_000, report(2, 2 * MiB)], [14_000, report(22, 22 * MiB)]], 14_000, 10 * MiB, 7800],
  ] as const)('%s', (_what, reports, now, rate, left) => {
    const state = feed(reports);
    expect(measureRate(state, now)).toBe(rate);
    expect(estimateLeftMs(state, now)).toBe(left);
  });
});

describe('renderProgressLines', () => {
  it('draws the whole (files, percent, bytes, rate, time left), then a line per machine still being written', () => {
    const state = feed([
      [2000, report(10, 10 * MiB, [
        { name: 'm1', filesDone: 10, filesTotal: 50, bytesDone: 10 * MiB, bytesTotal: 50 * MiB },
        { name: 'm2', filesDone: 50, filesTotal: 50, bytesDone: 50 * MiB, bytesTotal: 50 * MiB },
        { name: 'evil\u001b[2J', filesDone: 0, filesTotal: 1_000_000, bytesDone: 0, bytesTotal: 1 },
      ])],
    ]);
    expect(renderProgressLines(state, 2000, 80)).toEqual([
      ' 10%  10/100 files  10.0 MiB of 100.0 MiB  5.0 MiB/s  18.0 s left',
      '  → m1  10/50 files  10.0 MiB of 50.0 MiB',
      '  → evil\\x1b[2J  0/1,000,000 files  0 B of 1 B',
    ]);
    for (const line of renderProgressLines(state, 2000, 30)) expect([...line].length).toBeLessThanOrEqual(30);
  });
});
