// The synced listing: self's listing right after an apply that left every scanned machine in sync,
// with the base that apply wrote. It stands for what the base holds: for every scanned machine, the
// base's entries under the scanned paths are exactly the listing's (folders: their type), and the
// base names no other machine. So the next apply need not read the base nor parse what the
// machines did not change: it compares their listings with this one, byte for byte
// (snapshot/listingDiff.ts), and plans only the paths that differ.
//
// A cache, like the copy of a seen token's listing: written without fsync, and used only while everything it names
// is as it was: config digest, self, scanned paths and machines, the listing's size and sha256,
// and the base (generation of base.json, size of its log). Anything else writing the base
// (apply of a saved plan, resume, an apply that left something owed) retires it.
import { readFile } from 'node:fs/promises';
import { HEX64, isRecordedFor, isSameList, readListingFile, writeListingCache, type ListingCacheKey } from './listingCache.js';
import { isBaseAt, type BaseOrigin } from './base.js';
import { syncedListingPaths } from './paths.js';

export interface SyncedListingRecord {
  readonly format: 1;
  readonly configDigest: string;
  readonly self: string;
  /** The scanned sync paths (after narrowing by path arguments). */
  readonly paths: readonly string[];
  /** Every scanned machine (not outofuse), config order: the base holds these and no other. */
  readonly machines: readonly string[];
  /** The base as that apply left it. */
  readonly base: BaseOrigin;
  /** Size and sha256 (hex) of synced.listing. */
  readonly listingBytes: number;
  readonly listingDigest: string;
  /** Records of the listing (paths), and how many of them are not folders. */
  readonly records: number;
  readonly files: number;
}

/** What a record must match to be used. */
export type SyncedListingKey = ListingCacheKey;

function isCount(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

/** True when `value` is a well-formed record for `key`. */
export function syncedListingMatches(value: unknown, key: SyncedListingKey): value is SyncedListingRecord {
  if (!isRecordedFor(value, key)) return false;
  const r = value as Partial<SyncedListingRecord>;
  if (!isSameList(r.machines, key.machines)) return false;
  if (!isCount(r.listingBytes) || !isCount(r.records) || !isCount(r.files) || typeof r.listingDigest !== 'string' || !HEX64.test(r.listingDigest)) return false;
  const b = r.base as Partial<BaseOrigin> | undefined;
  return typeof b === 'object' && b !== null && typeof b.generation === 'string' && isCount(b.rows) && isCount(b.logPaths) && isCount(b.logBytes);
}

/** The record in `stateDir` when it matches `key` and still stands for the base on disk; null otherwise. */
export async function readSyncedRecord(stateDir: string, key: SyncedListingKey): Promise<SyncedListingRecord | null> {
  try {
    const value: unknown = JSON.parse(await readFile(syncedListingPaths(stateDir).record, 'utf8'));
    return syncedListingMatches(value, key) && (await isBaseAt(stateDir, value.base)) ? value : null;
  } catch {
    return null;
  }
}

/** The listing `record` names, when the file still has its size and digest; null otherwise. */
export async function readSyncedListingFile(stateDir: string, record: SyncedListingRecord): Promise<Buffer | null> {
  const listing = await readListingFile(syncedListingPaths(stateDir).listing, record.listingDigest);
  return listing !== null && listing.length === record.listingBytes ? listing : null;
}

/**
 * Records a synced listing (the listing first, then the record naming it). `listing` null keeps
 * the listing file in place (it must be the one the record's size and digest describe).
 */
export function writeSyncedListing(stateDir: string, record: SyncedListingRecord, listing: Buffer | null): Promise<void> {
  return writeListingCache(syncedListingPaths(stateDir), record, listing);
}
