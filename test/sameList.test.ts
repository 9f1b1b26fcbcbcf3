import { describe, expect, it } from 'vitest';
import { sameList } from '../src/sameList.js';

describe('sameList', () => {
  it('is true only for the same strings in the same order', () => {
    expect(sameList([], [])).toBe(true);
    expect(sameList(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameList(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameList(['a'], ['a', 'b'])).toBe(false);
  });
});
