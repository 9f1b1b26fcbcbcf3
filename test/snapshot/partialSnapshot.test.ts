// The partial snapshot must plan exactly as the whole one does: the same steps, conflicts,
// deletions and counts, from listings compared with a reference listing (the copy of a seen token's) instead of read whole.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/random.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { checkDeletionGuard, countHeldFiles } from '../../src/plan/guards.js';
import { diffListing } from '../../src/snapshot/listingDiff.js';
import { parseListing } from '../../src/snapshot/parseScan.js';
import { buildPartialParts } from '../../src/snapshot/partialSnapshot.js';
import type { Base, Entry, Plan, PlanOptions, Snapshot } from '../../src/types.js';
import { opts, prefer } from '../plan/builder.js';

const NAMES = ['here', 'm1', 'm2'];
const rec = (path: string, type = 'f', mtime = '1700000000.5', size = 10, mode = '644', link = '') => `./${path}\0${type}\0${mtime}\0${size}\0${mode}\0${link}\0`;
const listing = (records: readonly string[]) => Buffer.from(records.join(''), 'utf8');

function snapshotOf(entries: ReadonlyMap<string, ReadonlyMap<string, Entry>>, partial?: Snapshot['partial']): Snapshot {
  return {
    self: 'here',
    paths: ['docs'],
    machines: NAMES.map((name) => ({ name, status: 'online' as const, clockOffsetMs: 0 })),
    entries,
    takenAtMs: 1,
    digest: 'd',
    ...(partial ? { partial } : {}),
  };
}

/** The plans of the whole and of the partial snapshot of these listings, with the synced listing as everyone's base. */
function planBoth(synced: Buffer, live: readonly Buffer[], options: PlanOptions) {
  const syncedEntries = parseListing(synced).entries;
  const base: Base = new Map(NAMES.map((n) => [n, syncedEntries]));
  const whole = snapshotOf(new Map(NAMES.map((n, k) => [n, parseListing(live[k]).entries])));
  let files = 0;
  for (const e of syncedEntries.values()) if (e.type !== 'dir') files++;
  const parts = buildPartialParts(NAMES, live.map((l) => diffListing(synced, l)), { records: syncedEntries.size, files });
  if (parts === null) throw new Error('no partial parts');
  const partial = snapshotOf(parts.entries, parts.info);
  const plan = (snapshot: Snapshot, b: Base): Plan => buildPlan({ configDigest: 'c', snapshot, base: b, options, nowMs: 5 });
  return { whole: plan(whole, base), partial: plan(partial, parts.base), wholeSnapshot: whole, partialSnapshot: partial };
}

const tree = (n: number) => {
  const out = [rec('docs', 'd', '1700000000.0000000000', 4096, '755'), rec('docs/sub', 'd', '1700000000', 4096, '755')];
  for (let i = 0; i < n; i++) out.push(rec(`docs/${i % 3 ? '' : 'sub/'}f${i}.txt`, 'f', `17000000${String(i).padStart(2, '0')}.25`, 100 + i));
  out.push(rec('docs/link', 'l', '1700000000', 5, '777', 'f1.txt'));
  return out;
};

describe('buildPartialParts', () => {
  it('leaves out everything of listings unchanged since the synced one: nothing to do, every path counted in sync', () => {
    const synced = listing(tree(30));
    const { whole, partial, partialSnapshot } = planBoth(synced, [synced, synced, synced], opts());
    expect(partialSnapshot.entries.get('here')!.size).toBe(0);
    expect(partial).toEqual(whole);
    expect(partial.inSync).toBe(33);
  });

  it('returns null when a listing has a special file the synced one lacks', () => {
    const synced = listing(tree(3));
    const odd = listing([...tree(3), rec('docs/fifo', 'p')]);
    expect(buildPartialParts(['a'], [diffListing(synced, odd)], { records: 6, files: 4 })).toBeNull();
  });

  it.each([
    ['deletions held', opts()],
    ['deletions propagated', opts({ propagateDeletes: true })],
    ['newest wins conflicts', opts({ prefer: prefer.newest })],
    ['m1 wins conflicts', opts({ prefer: prefer.machine('m1') })],
  ])('plans as the whole snapshot does on random changes (%s)', (_what, options) => {
    const rand = seededRandom(777);
    for (let round = 0; round < 40; round++) {
      const base = tree(40 + rand(60));
      const live = NAMES.map(() => {
        const mine = [...base];
        for (let e = rand(6); e > 0; e--) {
          const at = 2 + rand(mine.length - 2);
          const path = mine[at].split('\0')[0].slice(2);
          switch (rand(7)) {
            case 0: mine[at] = rec(path, 'f', `18000000${rand(5)}`, 100 + rand(3)); break; // a new version (maybe the same on two machines)
            case 1: if (!path.endsWith('sub')) mine.splice(at, 1); break; // deleted
            case 2: mine.push(rec(`docs/new${rand(4)}.txt`, 'f', `19000000${rand(3)}`, 7)); break; // new (maybe on two machines)
            case 3: mine[at] = rec(path, 'f', mine[at].split('\0')[2], 1 + rand(2)); break; // same mtime, other size
            case 4: mine.push(...mine.splice(at, 3)); break; // listed in another order
            case 5: if (path === 'docs/sub') mine[at] = rec(path, 'd', '1999999999', 4096, '755'); break; // a folder's mtime
            default: mine.push(rec(`docs/sub/new${rand(3)}`, 'l', '1', 2, '777', 'xx')); break;
          }
        }
        const seen = new Set<string>();
        return listing(mine.reverse().filter((r) => !seen.has(r.split('\0')[0]) && seen.add(r.split('\0')[0])).reverse());
      });
      const { whole, partial, wholeSnapshot, partialSnapshot } = planBoth(listing(base), live, options);
      expect(partial).toEqual(whole);
      const guard = (s: Snapshot, p: Plan) => checkDeletionGuard(p, countHeldFiles(s), { maxFraction: 0.02, maxCount: 1 });
      expect(guard(partialSnapshot, partial)).toEqual(guard(wholeSnapshot, whole));
    }
  });
});
