import { describe, expect, it } from 'vitest';
import { buildChainFile, buildWholeFile, CHAIN_MIN_ROWS } from '../../src/apply/machineBases.js';
import { parseListing } from '../../src/snapshot/parseScan.js';
import type { MachineBaseHead } from '../../src/state/machineBase.js';
import type { Base, Entry } from '../../src/types.js';

const file = (mtime: number): Entry => ({ type: 'file', mtime, size: 1, mode: 0o644 });
const dir: Entry = { type: 'dir', mtime: 1, size: 0, mode: 0o755 };
const base = (entries: [string, Entry][], covered = ['docs']): Base => Object.assign(new Map([['m1', new Map(entries)]]), { covered: new Map([['m1', covered]]) });
const sync = { id: 'k2-bbbbbb', set: 's', at: '2026-01-01T00:00:00.000Z', by: { host: 'h', pid: 1 }, machines: ['m1'] };
const head = (over: Partial<MachineBaseHead> = {}): MachineBaseHead => ({ ...sync, id: 'k1-aaaaaa', chain: ['k1-aaaaaa'], rows: 3, logRows: 0, paths: ['docs'], files: { docs: 2 }, ...over });

describe('a machine base after an apply', () => {
  const previous = base([['docs', dir], ['docs/a', file(1)], ['docs/b', file(1)]]);
  const next = base([['docs', dir], ['docs/a', file(2)], ['docs/c', file(3)]]);
  const changed = ['docs/a', 'docs/b', 'docs/c'];

  it('adds to the chain what changed: records for new versions, x for paths gone; the counts follow', () => {
    const added = buildChainFile('m1', head(), previous, next, changed, sync)!;
    expect(added.head).toMatchObject({ id: 'k2-bbbbbb', chain: ['k1-aaaaaa', 'k2-bbbbbb'], rows: 3, logRows: 3, files: { docs: 2 } });
    const read = parseListing(Buffer.concat([buildWholeFile('m1', previous, { ...sync, id: 'k1-aaaaaa' }).body, added.body])).entries;
    expect(read).toEqual(next.get('m1'));
  });

  it('leaves out a folder whose times or mode moved: a folder is the same version whatever they are', () => {
    const moved = base([['docs', { ...dir, mtime: 99, mode: 0o700 }], ['docs/a', file(1)], ['docs/b', file(1)]]);
    const added = buildChainFile('m1', head(), previous, moved, ['docs'], sync)!;
    expect(added.body.length).toBe(0);
    expect(added.head.logRows).toBe(0);
  });

  it('writes the whole base instead with no chain to add to, other paths covered, or a chain grown past a quarter of its first file', () => {
    expect(buildChainFile('m1', undefined, previous, next, changed, sync)).toBeNull();
    expect(buildChainFile('m1', head({ paths: ['docs', 'music'] }), previous, next, changed, sync)).toBeNull();
    expect(buildChainFile('m1', head({ logRows: CHAIN_MIN_ROWS - 2 }), previous, next, changed, sync)).toBeNull();
    expect(buildChainFile('m1', head({ rows: 4 * (CHAIN_MIN_ROWS + 10), logRows: CHAIN_MIN_ROWS + 5 }), previous, next, changed, sync)).not.toBeNull();
    const whole = buildWholeFile('m1', next, sync);
    expect(whole.head).toMatchObject({ chain: ['k2-bbbbbb'], rows: 3, logRows: 0, paths: ['docs'], files: { docs: 2 } });
    expect(parseListing(whole.body).entries).toEqual(next.get('m1'));
  });
});
