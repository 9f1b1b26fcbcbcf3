// The in-sync memo: the listings every machine gave the last time a scan found them all identical.
//
// A machine whose listing still has its recorded digest holds exactly the entries of that
// state, so it need not send them again: its scan answers "same" (see transport/scanScript.ts).
// When every machine answers "same", the plan is "in sync" without parsing anything; when only
// some do, their entries are parsed once, from self's listing kept beside the memo.
//
// It is a cache: written without fsync, validated on reading, and ignored whenever it does not
// match the run (config digest, self, scanned paths, machines) or cannot be read.
import { readFile, rm, stat } from 'node:fs/promises';
import { HEX64, isRecordedFor, readListingFile, writeListingCache, type ListingCacheKey } from './listingCache.js';
import { inSyncMemoPaths } from './paths.js';

export interface InSyncMemo {
  readonly format: 1;
  readonly configDigest: string;
  readonly self: string;
  /** The scanned sync paths (after narrowing by path arguments). */
  readonly paths: readonly string[];
  /** Every scanned machine (not outofuse) → sha256 (hex) of its listing. */
  readonly machines: Readonly<Record<string, string>>;
  /** Paths alike everywhere, as the plan counted them. */
  readonly inSync: number;
  /** Size of in-sync.listing (self's listing) in bytes. */
  readonly listingBytes: number;
}

/** What a memo must match to be used. */
export type InSyncMemoKey = ListingCacheKey;

/** True when `value` is a well-formed memo for `key`. */
export function memoMatches(value: unknown, key: InSyncMemoKey): value is InSyncMemo {
  if (!isRecordedFor(value, key)) return false;
  const m = value as Partial<InSyncMemo>;
  if (!Number.isSafeInteger(m.inSync) || !Number.isSafeInteger(m.listingBytes)) return false;
  if (typeof m.machines !== 'object' || m.machines === null) return false;
  const names = Object.keys(m.machines);
  if (names.length !== key.machines.length || !key.machines.every((n) => HEX64.test(String(m.machines![n])))) return false;
  return key.machines.includes(key.self);
}

/** The memo in `stateDir` if there is one matching `key` whose listing file is in place; null otherwise. */
export async function readInSyncMemo(stateDir: string, key: InSyncMemoKey): Promise<InSyncMemo | null> {
  const files = inSyncMemoPaths(stateDir);
  try {
    const value: unknown = JSON.parse(await readFile(files.memo, 'utf8'));
    if (!memoMatches(value, key)) return null;
    const st = await stat(files.listing);
    return st.size === value.listingBytes ? value : null;
  } catch {
    return null;
  }
}

/** Self's listing as the memo recorded it; null when the file no longer has the memo's digest. */
export function readInSyncListing(stateDir: string, memo: InSyncMemo): Promise<Buffer | null> {
  return readListingFile(inSyncMemoPaths(stateDir).listing, memo.machines[memo.self]);
}

/**
 * Records a memo; `listing` is self's listing, or null to keep the listing file already there
 * (when self's digest is unchanged). The listing is replaced before the memo that names it.
 */
export function writeInSyncMemo(stateDir: string, memo: InSyncMemo, listing: Buffer | null): Promise<void> {
  const files = inSyncMemoPaths(stateDir);
  return writeListingCache({ record: files.memo, listing: files.listing }, memo, listing);
}

/**
 * Removes the memo (not its listing), as apply does before changing any machine: its listings
 * would not come back, and every scan would pay to learn that.
 */
export async function clearInSyncMemo(stateDir: string): Promise<void> {
  await rm(inSyncMemoPaths(stateDir).memo, { force: true });
}
