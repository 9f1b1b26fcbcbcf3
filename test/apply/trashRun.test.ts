import { describe, expect, it } from 'vitest';
import { buildKeptPath, buildTrashRun, parseTrashRun } from '../../src/apply/trashRun.js';

describe('trash run names', () => {
  it('are folder-safe UTC times that parse back to the millisecond', () => {
    const ms = Date.UTC(2024, 4, 1, 12, 3, 4, 56);
    expect(buildTrashRun(ms)).toBe('2024-05-01T12-03-04-056Z');
    expect(parseTrashRun(buildTrashRun(ms))).toBe(ms);
  });

  it('sort by time', () => {
    const times = [Date.UTC(2023, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 0, 0, 0, 1), Date.UTC(2024, 9, 1)];
    const names = times.map(buildTrashRun);
    expect([...names].reverse().sort()).toEqual(names);
  });

  it('are not anything else', () => {
    for (const name of ['', 'docs', '2024-05-01T12-03-04Z', '2024-05-01T12:03:04.056Z', '2024-13-45T99-03-04-056Z', '../2024-05-01T12-03-04-056Z']) {
      expect(parseTrashRun(name), name).toBeUndefined();
    }
  });

  it('keep a version at its own path under the run', () => {
    expect(buildKeptPath('2024-05-01T12-03-04-056Z', 'docs/a b.txt')).toBe('.blat-trash/2024-05-01T12-03-04-056Z/docs/a b.txt');
  });
});
