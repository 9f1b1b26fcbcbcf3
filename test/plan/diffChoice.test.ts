import { describe, expect, it } from 'vitest';
import { buildDiffChoice, buildHeldVersions } from '../../src/plan/diffChoice.js';
import type { Entry } from '../../src/types.js';

const file = (mtime: number, size = 10, mode = 0o644): Entry => ({ type: 'file', mtime, size, mode });

describe('buildHeldVersions', () => {
  it('groups machines holding the very same version (mode and nanoseconds count), in config order, absent machines left out', () => {
    const versions = buildHeldVersions([
      { machine: 'a', entry: file(100) },
      { machine: 'b', entry: undefined },
      { machine: 'c', entry: file(100) },
      { machine: 'd', entry: file(100, 10, 0o755) },
      { machine: 'e', entry: file(100.000000001) },
    ]);
    expect(versions.map((v) => v.machines)).toEqual([['a', 'c'], ['d'], ['e']]);
  });
});

describe('buildDiffChoice', () => {
  const versions = buildHeldVersions([
    { machine: 'a', entry: file(100) },
    { machine: 'b', entry: file(300) },
    { machine: 'c', entry: file(200) },
  ]);

  it('takes the two newest versions by default, the older as the old side', () => {
    const c = buildDiffChoice(versions);
    expect(c.kind === 'pair' && [c.a.machines, c.b.machines]).toEqual([['c'], ['b']]);
  });

  it('takes the named machines in the order named', () => {
    const c = buildDiffChoice(versions, ['b', 'a']);
    expect(c.kind === 'pair' && [c.a.machines, c.b.machines]).toEqual([['b'], ['a']]);
  });

  it('says when there is one version, or when a named machine holds none', () => {
    expect(buildDiffChoice(versions.slice(0, 1))).toEqual({ kind: 'same', version: versions[0] });
    expect(buildDiffChoice([])).toEqual({ kind: 'none', reason: 'no machine that answered holds it' });
    expect(buildDiffChoice(versions, ['a', 'x'])).toEqual({ kind: 'none', reason: 'x holds no copy of it' });
    expect(buildDiffChoice(versions, ['y', 'x'])).toEqual({ kind: 'none', reason: 'y and x hold no copy of it' });
  });
});
