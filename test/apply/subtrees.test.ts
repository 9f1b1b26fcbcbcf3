import { describe, expect, it } from 'vitest';
import { findNewSubtrees, findSendableSubtrees } from '../../src/apply/subtrees.js';
import type { Entry, Step } from '../../src/types.js';
import { dir, f } from '../plan/builder.js';

const push = (path: string, source: Entry, target: Entry | null = null): Step => ({ action: 'push', path, from: 'here', to: 'm2', source, target });

describe('findNewSubtrees', () => {
  const steps: Step[] = [
    push('docs/new', dir()),
    push('docs/new/a', f(1)),
    push('docs/new/sub', dir()),
    push('docs/new/sub/b', f(2)),
    push('docs/old/c', f(3), f(1)),
    push('docs/other', dir()),
    push('docs/newer', f(4)), // a sibling whose name starts like the folder: not under it
  ];
  it('finds the top-most folders absent on the receiver, each with every step under it', () => {
    expect(findNewSubtrees(steps, steps.map((_, i) => i))).toEqual([
      { root: 'docs/new', members: [0, 1, 2, 3] },
      { root: 'docs/other', members: [5] },
    ]);
  });
  it('looks only at the steps of the batch', () => {
    expect(findNewSubtrees(steps, [2, 3, 4])).toEqual([{ root: 'docs/new/sub', members: [2, 3] }]);
  });
  it('drops a folder under which a step expects something on the receiver (an inconsistent plan)', () => {
    const odd = [...steps, push('docs/new/sub/d', f(5), f(1))];
    expect(findNewSubtrees(odd, odd.map((_, i) => i)).map((t) => t.root)).toEqual(['docs/other']);
  });
});

describe('findSendableSubtrees', () => {
  const steps: Step[] = [push('docs/new', dir()), push('docs/new/a', f(1)), push('docs/new/b', f(2))];
  const subtree = { root: 'docs/new', members: [0, 1, 2] };
  const fresh = (extra: Record<string, Entry> = {}) =>
    new Map<string, Entry>(Object.entries({ 'docs/new': dir(), 'docs/new/a': f(1), 'docs/new/b': f(2), 'docs/newer': f(9), ...extra }));
  it('keeps a folder whose source holds exactly what its steps expect', () => {
    expect(findSendableSubtrees(steps, [subtree], fresh())).toEqual([subtree]);
  });
  it('drops it when the source holds one more entry under it, or a changed one, or one fewer', () => {
    expect(findSendableSubtrees(steps, [subtree], fresh({ 'docs/new/c': f(3) }))).toEqual([]);
    expect(findSendableSubtrees(steps, [subtree], fresh({ 'docs/new/a': f(7) }))).toEqual([]);
    const fewer = fresh();
    fewer.delete('docs/new/b');
    expect(findSendableSubtrees(steps, [subtree], fewer)).toEqual([]);
  });
});
