import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBaseOrigin, readBase, writeBase } from '../../src/state/base.js';
import { readSyncedListingFile, readSyncedRecord, writeSyncedListing, type SyncedListingKey, type SyncedListingRecord } from '../../src/state/syncedListing.js';

/** The record and its listing, when both can be used. */
async function readSyncedListing(stateDir: string, k: SyncedListingKey): Promise<{ record: SyncedListingRecord; listing: Buffer } | null> {
  const record = await readSyncedRecord(stateDir, k);
  const bytes = record && (await readSyncedListingFile(stateDir, record));
  return record && bytes ? { record, listing: bytes } : null;
}
import type { Base, Entry } from '../../src/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-synced-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = { configDigest: 'c'.repeat(64), self: 'here', paths: ['docs'], machines: ['here', 'm1'] };
const listing = Buffer.from('./docs\0d\x001\x000\x00755\0\0./docs/a b\0f\x002\x003\x00644\0\0');
const entries = new Map<string, Entry>([['docs', { type: 'dir', mtime: 1, size: 0, mode: 0o755 }], ['docs/a b', { type: 'file', mtime: 2, size: 3, mode: 0o644 }]]);

/** Writes a base of `entries` for both machines and a record naming it; returns the record. */
async function recordSynced(): Promise<SyncedListingRecord> {
  const base: Base = new Map([['here', entries], ['m1', entries]]);
  await writeBase(dir, base);
  const record: SyncedListingRecord = {
    format: 1,
    ...key,
    base: findBaseOrigin(base)!,
    listingBytes: listing.length,
    listingDigest: createHash('sha256').update(listing).digest('hex'),
    records: 2,
    files: 1,
  };
  await writeSyncedListing(dir, record, listing);
  return record;
}

describe('synced listing', () => {
  it('reads back what was recorded, listing included', async () => {
    const record = await recordSynced();
    expect((await readdir(dir)).sort()).toEqual(['base.json', 'synced.json', 'synced.listing']);
    const back = await readSyncedListing(dir, key);
    expect(back?.record).toEqual(record);
    expect(back?.listing).toEqual(listing);
  });

  it.each([
    ['another config', { ...key, configDigest: 'd'.repeat(64) }],
    ['another self', { ...key, self: 'm1' }],
    ['other paths', { ...key, paths: ['docs/sub'] }],
    ['another machine', { ...key, machines: ['here', 'm1', 'm2'] }],
  ])('is not used for %s', async (_what, other) => {
    await recordSynced();
    expect(await readSyncedListing(dir, other)).toBeNull();
  });

  it('is not used once the base was written again (appended to or rewritten)', async () => {
    await recordSynced();
    const read = await readBase(dir);
    const next: Base = new Map([['here', new Map([...entries, ['docs/c', entries.get('docs/a b')!]])], ['m1', entries]]);
    await writeBase(dir, next, read);
    expect(await readSyncedListing(dir, key)).toBeNull();
    await recordSynced();
    await writeBase(dir, new Map([['here', entries], ['m1', entries]]));
    expect(await readSyncedListing(dir, key)).toBeNull();
  });

  it('is not used when its listing was changed, cut short or lost, or its record removed', async () => {
    await recordSynced();
    const damaged = Buffer.from(listing);
    damaged[damaged.length - 5] ^= 1; // same size, another byte
    await writeFile(join(dir, 'synced.listing'), damaged);
    expect(await readSyncedListing(dir, key)).toBeNull();
    await writeFile(join(dir, 'synced.listing'), listing.subarray(1));
    expect(await readSyncedListing(dir, key)).toBeNull();
    await rm(join(dir, 'synced.listing'));
    expect(await readSyncedListing(dir, key)).toBeNull();
    await recordSynced();
    await rm(join(dir, 'synced.json'));
    expect(await readSyncedListing(dir, key)).toBeNull();
  });

  it('is not used when its record is not one', async () => {
    await recordSynced();
    await writeFile(join(dir, 'synced.json'), '{"format":1');
    expect(await readSyncedListing(dir, key)).toBeNull();
    await writeFile(join(dir, 'synced.json'), JSON.stringify({ format: 1, ...key, base: { generation: 'x' } }));
    expect(await readSyncedListing(dir, key)).toBeNull();
  });
});
