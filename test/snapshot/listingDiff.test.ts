import { describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/random.js';
import { diffListing, TooManyChanges } from '../../src/snapshot/listingDiff.js';
import { parseListing } from '../../src/snapshot/parseScan.js';
import type { Entry } from '../../src/types.js';

/** One record of a bare listing, as the scan prints it. */
const rec = (path: string, type = 'f', mtime = '1700000000.5', size = 10, mode = '644', link = '') => `./${path}\0${type}\0${mtime}\0${size}\0${mode}\0${link}\0`;
const listing = (records: readonly string[]) => Buffer.from(records.join(''), 'utf8');

/** What diffListing must find, computed the plain way: both listings parsed whole, records compared by bytes. */
function expectedDiff(reference: Buffer, live: Buffer) {
  const split = (buf: Buffer) => {
    const out = new Map<string, string>();
    const fields = buf.toString('latin1').split('\0');
    for (let i = 0; i + 6 < fields.length; i += 6) out.set(fields[i], fields.slice(i, i + 6).join('\0'));
    return out;
  };
  const a = split(reference);
  const b = split(live);
  const refEntries = parseListing(reference).entries;
  const liveEntries = parseListing(live).entries;
  const decode = (p: string) => Buffer.from(p.slice(2), 'latin1').toString('utf8');
  const now = new Map<string, Entry | undefined>();
  const was = new Map<string, Entry | undefined>();
  for (const [p, r] of b) if (a.get(p) !== r) now.set(decode(p), liveEntries.get(decode(p)));
  for (const [p, r] of a) if (b.get(p) !== r) was.set(decode(p), refEntries.get(decode(p)));
  return { now, was };
}

function sorted<V>(m: ReadonlyMap<string, V>): [string, V][] {
  return [...m].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

function expectLikePlainDiff(reference: Buffer, live: Buffer): ReturnType<typeof diffListing> {
  const got = diffListing(reference, live);
  const want = expectedDiff(reference, live);
  expect(sorted(got.now)).toEqual(sorted(want.now));
  expect(sorted(got.was)).toEqual(sorted(want.was));
  return got;
}

const tree = (n: number) => {
  const out: string[] = [rec('docs', 'd', '1700000000.0000000000', 4096, '755')];
  for (let i = 0; i < n; i++) out.push(rec(`docs/f${i}.txt`, 'f', `17000000${String(i).padStart(2, '0')}.25`, 100 + i));
  return out;
};

describe('diffListing', () => {
  it('finds nothing in a listing byte for byte the same', () => {
    const a = listing(tree(50));
    const d = diffListing(a, Buffer.from(a));
    expect(d.now.size + d.was.size).toBe(0);
    expect(d.records).toBe(51);
  });

  it('finds a changed record by its path, with both entries', () => {
    const records = tree(20);
    const live = [...records];
    live[5] = rec('docs/f4.txt', 'f', '1800000000.75', 999);
    const d = expectLikePlainDiff(listing(records), listing(live));
    expect([...d.now.keys()]).toEqual(['docs/f4.txt']);
    expect(d.now.get('docs/f4.txt')).toMatchObject({ type: 'file', mtime: 1800000000.75, size: 999 });
    expect(d.was.get('docs/f4.txt')).toMatchObject({ type: 'file', size: 104 });
  });

  it.each([
    ['one record inserted', (r: string[]) => [...r.slice(0, 7), rec('docs/new.txt'), ...r.slice(7)]],
    ['a folder of 600 records inserted (beyond the lookahead)', (r: string[]) => [...r.slice(0, 3), rec('docs/big', 'd', '1', 4096, '755'), ...Array.from({ length: 600 }, (_, i) => rec(`docs/big/${i}`)), ...r.slice(3)]],
    ['one record removed', (r: string[]) => [...r.slice(0, 7), ...r.slice(8)]],
    ['700 records removed', (r: string[]) => [...r.slice(0, 2), ...r.slice(702)]],
    ['the order reversed', (r: string[]) => [...r].reverse()],
    ['one record moved to the end', (r: string[]) => [...r.slice(0, 4), ...r.slice(5), r[4]]],
    ['everything removed', () => []],
  ])('matches records out of step: %s', (_what, change) => {
    const records = tree(1000);
    expectLikePlainDiff(listing(records), listing(change(records)));
  });

  it('matches a listing in another order throughout (another filesystem) by content, whatever the order', () => {
    const records = tree(3000);
    const shuffled = [...records].sort((a, b) => (a.length % 7) - (b.length % 7) || (a < b ? 1 : -1));
    const changed = [...shuffled];
    changed[changed.findIndex((r) => r.startsWith('./docs/f17.txt\0'))] = rec('docs/f17.txt', 'f', '1900000000', 1);
    const d = expectLikePlainDiff(listing(records), listing(changed));
    expect([...d.now.keys()]).toEqual(['docs/f17.txt']);
    // Matched by content, not read: a few records allowed to differ are enough.
    expect(diffListing(listing(records), listing(shuffled), 10).now.size).toBe(0);
    expect(diffListing(listing(records), listing(changed), 10).now.size).toBe(1);
  });

  it('gives up (TooManyChanges) once more records differ than allowed, not before', () => {
    const records = tree(100);
    const live = records.map((r, i) => (i % 2 ? rec(`docs/f${i - 1}.txt`, 'f', '1900000000', 1) : r));
    expect(() => diffListing(listing(records), listing(live), 99)).toThrow(TooManyChanges);
    expect(diffListing(listing(records), listing(live), 100).now.size).toBe(50);
  });

  it('compares from an empty reference', () => {
    const live = listing(tree(3));
    const d = expectLikePlainDiff(Buffer.alloc(0), live);
    expect(d.now.size).toBe(4);
  });

  it('keeps hostile names whole: newlines, NUL-free shell words, a leading dash, names that are not UTF-8', () => {
    const names = ['docs/new\nline', "docs/it's \"q\"", 'docs/$(touch x)', 'docs/-rf', 'docs/./end', 'docs/same'];
    const records = names.map((n) => rec(n));
    const live = names.map((n, i) => rec(n, 'f', i % 2 ? '1900000000' : '1700000000.5'));
    const d = expectLikePlainDiff(listing(records), listing(live));
    expect([...d.now.keys()].sort()).toEqual([names[1], names[3], names[5]].sort());
    const latin1 = Buffer.concat([Buffer.from('./docs/caf'), Buffer.from([0xe9]), Buffer.from('\0f\x001\x002\x00644\0\0')]);
    const d2 = diffListing(listing(records), Buffer.concat([listing(records), latin1]));
    expect([...d2.now.keys()]).toEqual(['docs/caf\udce9']);
  });

  it('reports a special file as an entry that is not there (undefined)', () => {
    const records = tree(3);
    const d = diffListing(listing(records), listing([...records, rec('docs/fifo', 'p')]));
    expect(d.now.has('docs/fifo')).toBe(true);
    expect(d.now.get('docs/fifo')).toBeUndefined();
  });

  it('refuses a listing cut inside a record, and a path without ./', () => {
    const a = listing(tree(3));
    expect(() => diffListing(a, a.subarray(0, a.length - 3))).toThrow(/cut inside a record/);
    expect(() => diffListing(a, Buffer.from('docs/x\0f\x001\x002\x00644\0\0'))).toThrow(/unexpected path/);
  });

  it('agrees with the plain diff on random edits of a random tree', () => {
    const rand = seededRandom(12345);
    for (let round = 0; round < 60; round++) {
      const records = tree(200 + rand(300));
      const live = [...records];
      const edits = rand(40);
      for (let e = 0; e < edits; e++) {
        const at = rand(live.length);
        switch (rand(5)) {
          case 0: live[at] = rec(`docs/f${at}.txt`, 'f', '1900000000', rand(1000)); break; // changed (or a duplicate path moved)
          case 1: live.splice(at, 1 + rand(30)); break;
          case 2: live.splice(at, 0, ...Array.from({ length: 1 + rand(700) }, (_, i) => rec(`docs/n${round}-${e}-${i}`))); break;
          case 3: live.push(...live.splice(at, 1 + rand(20))); break;
          default: live[at] = rec(`docs/l${e}`, 'l', '1', 3, '777', '../x'); break;
        }
      }
      // A path may now appear twice (an edit reused it): keep its last record, as the scan would have one.
      const seen = new Set<string>();
      const unique = live.reverse().filter((r) => !seen.has(r.split('\0')[0]) && seen.add(r.split('\0')[0])).reverse();
      expectLikePlainDiff(listing(records), listing(unique));
    }
  });
});
