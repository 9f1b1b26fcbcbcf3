import { describe, expect, it } from 'vitest';
import { LayeredEntries, readEntryParts } from '../src/layeredEntries.js';
import type { Entry } from '../src/types.js';

const file = (mtime: number): Entry => ({ type: 'file', mtime, size: 1, mode: 0o644 });
const plain = (m: ReadonlyMap<string, Entry> | undefined): Record<string, number> =>
  Object.fromEntries([...(m ?? new Map<string, Entry>())].map(([p, e]) => [p, e.mtime]));

describe('LayeredEntries', () => {
  it('reads as one map: shared entries, then its own', () => {
    const m = new LayeredEntries(new Map([['s1', file(1)], ['s2', file(2)]]), new Map([['o1', file(3)]]));
    expect(m.size).toBe(3);
    expect([m.get('s2')?.mtime, m.get('o1')?.mtime, m.get('none')]).toEqual([2, 3, undefined]);
    expect([m.has('s1'), m.has('o1'), m.has('none')]).toEqual([true, true, false]);
    expect([...m.keys()]).toEqual(['s1', 's2', 'o1']);
    expect([...m.values()].map((e) => e.mtime)).toEqual([1, 2, 3]);
    expect([...m].map(([p]) => p)).toEqual(['s1', 's2', 'o1']);
    const seen: string[] = [];
    m.forEach((_e, p, map) => {
      expect(map).toBe(m);
      seen.push(p);
    });
    expect(seen).toEqual(['s1', 's2', 'o1']);
    expect(new Map(m).size).toBe(3);
  });
});

describe('readEntryParts', () => {
  it("gives a layered map's two layers, and any other map itself", () => {
    const shared = new Map([['s', file(1)]]);
    const own = new Map([['o', file(2)]]);
    expect(readEntryParts(new LayeredEntries(shared, own))).toEqual([shared, own]);
    expect(readEntryParts(own)[0]).toBe(own);
  });
});
