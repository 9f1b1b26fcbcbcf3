import { describe, expect, it } from 'vitest';
import { LayeredEntries } from '../../src/layeredEntries.js';
import { LayeredBaseBuilder } from '../../src/state/layeredBase.js';
import type { Entry } from '../../src/types.js';

const file = (mtime: number): Entry => ({ type: 'file', mtime, size: 1, mode: 0o644 });
const plain = (m: ReadonlyMap<string, Entry> | undefined): Record<string, number> =>
  Object.fromEntries([...(m ?? new Map<string, Entry>())].map(([p, e]) => [p, e.mtime]));

describe('LayeredBaseBuilder', () => {
  it('keeps entries held alike in one map shared by the machines', () => {
    const b = new LayeredBaseBuilder(['a', 'b']);
    b.setShared('x', file(1));
    b.set('a', 'y', file(2));
    const base = b.build();
    expect(plain(base.get('a'))).toEqual({ x: 1, y: 2 });
    expect(plain(base.get('b'))).toEqual({ x: 1 });
    expect((base.get('a') as LayeredEntries).shared).toBe(base.get('b'));
  });

  it('lets a later row replace an earlier one, whichever layer each went to', () => {
    const b = new LayeredBaseBuilder(['a', 'b', 'c']);
    b.setShared('x', file(1));
    b.set('b', 'x', file(2)); // no longer alike: a and c keep the shared entry
    b.set('a', 'y', file(3));
    b.setShared('y', file(4)); // alike again
    const base = b.build();
    expect(plain(base.get('a'))).toEqual({ x: 1, y: 4 });
    expect(plain(base.get('b'))).toEqual({ x: 2, y: 4 });
    expect(plain(base.get('c'))).toEqual({ x: 1, y: 4 });
    expect([...base.values()].map((m) => m.size)).toEqual([2, 2, 2]);
  });

  it('deletes a path from every machine; machines outside the sharing ones only get their own; empty ones are left out', () => {
    const b = new LayeredBaseBuilder(['a', 'b']);
    b.setShared('x', file(1));
    b.set('new', 'x', file(5));
    b.setShared('z', file(6));
    b.delete('z');
    b.set('a', 'only', file(7));
    b.delete('only');
    const base = b.build();
    expect(plain(base.get('a'))).toEqual({ x: 1 });
    expect(plain(base.get('new'))).toEqual({ x: 5 });
    b.delete('x');
    expect([...b.build().keys()]).toEqual([]);
  });
});
