import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearInSyncMemo,
  memoMatches,
  readInSyncListing,
  readInSyncMemo,
  writeInSyncMemo,
  type InSyncMemo,
  type InSyncMemoKey,
} from '../../src/state/inSyncMemo.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-memo-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const listing = Buffer.from('./docs\x00d\x001700000000.5\x004096\x00755\x00\x00./docs/a b\x00f\x001700000001\x003\x00644\x00\x00', 'utf8');
const key: InSyncMemoKey = { configDigest: 'cfg1', self: 'laptop', paths: ['docs', 'notes'], machines: ['laptop', 'server'] };
const memo: InSyncMemo = {
  format: 1,
  configDigest: 'cfg1',
  self: 'laptop',
  paths: ['docs', 'notes'],
  machines: { laptop: sha256(listing), server: sha256('server listing') },
  inSync: 2,
  listingBytes: listing.length,
};

describe('writeInSyncMemo / readInSyncMemo', () => {
  it('reads back the memo written, for the matching key (machines in any order)', async () => {
    await writeInSyncMemo(dir, memo, listing);
    expect((await readdir(dir)).sort()).toEqual(['in-sync.json', 'in-sync.listing']);
    expect(await readFile(join(dir, 'in-sync.listing'))).toEqual(listing);
    expect(await readInSyncMemo(dir, key)).toEqual(memo);
    expect(await readInSyncMemo(dir, { ...key, machines: ['server', 'laptop'] })).toEqual(memo);
  });

  it('makes the state folder if needed', async () => {
    const stateDir = join(dir, 'a', '.blat');
    await writeInSyncMemo(stateDir, memo, listing);
    expect(await readInSyncMemo(stateDir, key)).toEqual(memo);
  });

  it('reads nothing when there is no memo', async () => {
    expect(await readInSyncMemo(dir, key)).toBeNull();
    expect(await readInSyncMemo(join(dir, 'none'), key)).toBeNull();
  });

  it.each<[string, Partial<InSyncMemoKey>]>([
    ['another config digest', { configDigest: 'cfg2' }],
    ['another self', { self: 'server' }],
    ['the paths in another order', { paths: ['notes', 'docs'] }],
    ['fewer paths', { paths: ['docs'] }],
    ['more paths', { paths: ['docs', 'notes', 'more'] }],
    ['another path', { paths: ['docs', 'notes2'] }],
    ['a machine fewer', { machines: ['laptop'] }],
    ['a machine more', { machines: ['laptop', 'server', 'nas'] }],
    ['another machine', { machines: ['laptop', 'nas'] }],
  ])('reads nothing for a key with %s', async (_what, over) => {
    await writeInSyncMemo(dir, memo, listing);
    expect(await readInSyncMemo(dir, key)).toEqual(memo);
    expect(await readInSyncMemo(dir, { ...key, ...over })).toBeNull();
  });

  it('reads nothing when in-sync.listing is missing', async () => {
    await writeInSyncMemo(dir, memo, listing);
    await rm(join(dir, 'in-sync.listing'));
    expect(await readInSyncMemo(dir, key)).toBeNull();
  });

  it.each([
    ['shorter', listing.subarray(0, listing.length - 1)],
    ['longer', Buffer.concat([listing, Buffer.from('x')])],
  ])('reads nothing when in-sync.listing is %s than the memo says', async (_what, other) => {
    await writeInSyncMemo(dir, memo, listing);
    await writeFile(join(dir, 'in-sync.listing'), other);
    expect(await readInSyncMemo(dir, key)).toBeNull();
  });

  it.each([
    ['not JSON', '{"format":1,"configDigest":'],
    ['empty', ''],
    ['JSON null', 'null'],
    ['another format', JSON.stringify({ ...memo, format: 2 })],
    ['a digest that is not hex', JSON.stringify({ ...memo, machines: { ...memo.machines, server: 'x'.repeat(64) } })],
    ['no inSync count', JSON.stringify({ ...memo, inSync: undefined })],
    ['a fractional listing size', JSON.stringify({ ...memo, listingBytes: 1.5 })],
  ])('reads nothing when in-sync.json is %s', async (_what, text) => {
    await writeInSyncMemo(dir, memo, listing);
    await writeFile(join(dir, 'in-sync.json'), text);
    expect(await readInSyncMemo(dir, key)).toBeNull();
  });
});

describe('memoMatches', () => {
  it('wants self among the machines', () => {
    expect(memoMatches(memo, key)).toBe(true);
    const elsewhere = { ...memo, self: 'nas', machines: { laptop: memo.machines.laptop, server: memo.machines.server } };
    expect(memoMatches(elsewhere, { ...key, self: 'nas' })).toBe(false);
  });
  it('refuses what is not an object', () => {
    for (const v of [null, undefined, 1, 'memo', [memo]]) expect(memoMatches(v, key)).toBe(false);
  });
});

describe('readInSyncListing', () => {
  it('reads back the listing whose digest self has in the memo', async () => {
    await writeInSyncMemo(dir, memo, listing);
    const m = (await readInSyncMemo(dir, key))!;
    expect(await readInSyncListing(dir, m)).toEqual(listing);
  });

  it('reads nothing when one byte of the listing was altered (same size)', async () => {
    await writeInSyncMemo(dir, memo, listing);
    const altered = Buffer.from(listing);
    altered[10] ^= 0x01;
    await writeFile(join(dir, 'in-sync.listing'), altered);
    const m = await readInSyncMemo(dir, key);
    expect(m).toEqual(memo); // the size still matches: only the listing's digest tells
    expect(await readInSyncListing(dir, m!)).toBeNull();
  });

  it('reads nothing when the listing is gone', async () => {
    await writeInSyncMemo(dir, memo, listing);
    await rm(join(dir, 'in-sync.listing'));
    expect(await readInSyncListing(dir, memo)).toBeNull();
  });
});

describe('clearInSyncMemo', () => {
  it('removes the memo (not the listing), so nothing is read', async () => {
    await writeInSyncMemo(dir, memo, listing);
    await clearInSyncMemo(dir);
    expect(await readInSyncMemo(dir, key)).toBeNull();
    expect(await readdir(dir)).toEqual(['in-sync.listing']);
  });

  it('is quiet when there is no memo', async () => {
    await expect(clearInSyncMemo(dir)).resolves.toBeUndefined();
    await expect(clearInSyncMemo(join(dir, 'none'))).resolves.toBeUndefined();
  });
});

describe('writeInSyncMemo with no listing', () => {
  it('keeps the listing file already there and replaces the memo', async () => {
    await writeInSyncMemo(dir, memo, listing);
    const next: InSyncMemo = { ...memo, machines: { ...memo.machines, server: sha256('server changed') }, inSync: 7 };
    await writeInSyncMemo(dir, next, null);
    expect(await readFile(join(dir, 'in-sync.listing'))).toEqual(listing);
    expect((await readdir(dir)).sort()).toEqual(['in-sync.json', 'in-sync.listing']);
    const back = await readInSyncMemo(dir, key);
    expect(back).toEqual(next);
    expect(await readInSyncListing(dir, back!)).toEqual(listing);
  });

  it('after a clear, makes the kept listing usable again', async () => {
    await writeInSyncMemo(dir, memo, listing);
    await clearInSyncMemo(dir);
    await writeInSyncMemo(dir, memo, null);
    expect(await readInSyncMemo(dir, key)).toEqual(memo);
  });
});
