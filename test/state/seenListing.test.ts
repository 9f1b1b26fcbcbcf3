import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RETIRED_STATE_FILES } from '../../src/state/paths.js';
import { readSeenListingFile, readSeenRecord, writeSeenListing, type SeenListingRecord } from '../../src/state/seenListing.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-seen-listing-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function recordOf(listing: Buffer): SeenListingRecord {
  return { format: 1, token: 'mwzcpuhw-cdf315', paths: ['docs'], listingBytes: listing.length, listingDigest: createHash('sha256').update(listing).digest('hex') };
}

describe('writeSeenListing', () => {
  it('writes the record and the listing, read back while the listing has its size and digest', async () => {
    const listing = Buffer.from('./docs\0d\x001700000000.0\x004096\x00755\0\0');
    await writeSeenListing(dir, recordOf(listing), listing);
    const record = await readSeenRecord(dir);
    expect(record).toEqual(recordOf(listing));
    expect(await readSeenListingFile(dir, record!)).toEqual(listing);
    await writeFile(join(dir, 'seen.listing'), Buffer.from('./docs\0d\x001700000001.0\x004096\x00755\0\0'));
    expect(await readSeenListingFile(dir, record!)).toBeNull();
  });

  it("removes the files of the caches it replaced (the in-sync memo's, the synced listing's), and nothing else", async () => {
    for (const name of [...RETIRED_STATE_FILES, 'base.json', 'journal.jsonl']) await writeFile(join(dir, name), '{}\n');
    const listing = Buffer.from('x');
    await writeSeenListing(dir, recordOf(listing), listing);
    for (const name of RETIRED_STATE_FILES) expect(existsSync(join(dir, name)), name).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(['base.json', 'journal.jsonl', 'seen.json', 'seen.listing']);
  });
});
