import { describe, it, expect } from 'vitest';
import { buildUnderTest } from '../../src/config/paths.js';

describe('buildUnderTest', () => {
  const under = buildUnderTest(['docs', 'a/b', 'name with space']);
  it.each([
    ['docs', true],
    ['docs/x', true],
    ['docs/x/y z', true],
    ['docsx', false],
    ['doc', false],
    ['a/b', true],
    ['a/b/c', true],
    ['a/bc', false],
    ['a', false],
    ['name with space/f', true],
    ['other/docs', false],
  ])('%s → %s', (path, expected) => {
    expect(under(path)).toBe(expected);
  });

  it('holds nothing under an empty list', () => {
    expect(buildUnderTest([])('docs')).toBe(false);
  });
});
