import { describe, expect, it } from 'vitest';
import { collapseNested, isUnder, normaliseSyncPath } from '../../src/config/paths.js';

describe('normaliseSyncPath', () => {
  it.each([
    ['docs', 'docs'],
    ['docs/', 'docs'],
    ['./docs', 'docs'],
    ['././docs//a///', 'docs/a'],
    ['etc/machine.txt', 'etc/machine.txt'],
    ['a b/$(x)/-c', 'a b/$(x)/-c'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseSyncPath(input)).toBe(expected);
  });

  it.each(['', '/', '/abs', '.', './', '..', '../x', 'a/../b', 'a/./b', 'a/..', '//x'])('%j is not a sync path', (input) => {
    expect(normaliseSyncPath(input)).toBeNull();
  });
});

describe('isUnder', () => {
  it('counts a path as under itself and under its ancestors', () => {
    expect(isUnder('docs', 'docs')).toBe(true);
    expect(isUnder('docs/a', 'docs')).toBe(true);
    expect(isUnder('docs/a/b', 'docs/a')).toBe(true);
  });

  it('compares whole segments', () => {
    expect(isUnder('docs2', 'docs')).toBe(false);
    expect(isUnder('docs2/a', 'docs')).toBe(false);
    expect(isUnder('doc', 'docs')).toBe(false);
    expect(isUnder('docs', 'docs/a')).toBe(false);
  });
});

describe('collapseNested', () => {
  it('sorts, de-duplicates and folds descendants into ancestors', () => {
    expect(collapseNested(['b', 'a/c', 'a', 'a-b', 'a/c/d', 'b'])).toEqual(['a', 'a-b', 'b']);
  });
});
