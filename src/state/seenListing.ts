// The controller's copy of what a seen token stands for (state/seenLine.ts): the listing of the
// machines found alike under that token (self's, as scanned then), so that a machine answering
// "same" while others changed need not send its listing: its entries are read from this file.
// In the state folder: seen.json (the token, the listing's size and sha256) and seen.listing.
// A cache: written without fsync, used only while the listing has the size and digest named, and
// removed by an apply before it changes any machine (the machines' seen lines go with their locks);
// an apply that leaves every machine alike writes a new one (apply/seenAfterApply.ts).
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HEX64, readListingFile, writeListingCache } from './listingCache.js';
import { SYNC_ID } from './machineBase.js';
import { RETIRED_STATE_FILES, seenListingPaths } from './paths.js';
import { isBaseOrigin, type BaseOrigin } from './base.js';

/** What seen.json says. */
export interface SeenListingRecord {
  readonly format: 1;
  /** The seen token (SYNC_ID) the machines found alike were given. */
  readonly token: string;
  /** The scanned paths, in the order scanned. */
  readonly paths: readonly string[];
  /** Size and sha256 (hex) of seen.listing. */
  readonly listingBytes: number;
  readonly listingDigest: string;
  /**
   * Present when the base held, for every machine found alike and for the paths scanned, exactly
   * this listing's entries (and covered them): where base.json and its log stood then. While they
   * still stand there (isBaseAt), a run may take the listing's entries for the base of the paths
   * that changed since, without reading the base.
   */
  readonly base?: BaseOrigin;
}

/** True when `value` is a well-formed record. */
export function isSeenListingRecord(value: unknown): value is SeenListingRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<SeenListingRecord>;
  return (
    r.format === 1 &&
    typeof r.token === 'string' &&
    SYNC_ID.test(r.token) &&
    Array.isArray(r.paths) &&
    r.paths.every((p) => typeof p === 'string') &&
    Number.isSafeInteger(r.listingBytes) &&
    typeof r.listingDigest === 'string' &&
    HEX64.test(r.listingDigest) &&
    (r.base === undefined || isBaseOrigin(r.base))
  );
}

/** The record in `stateDir` when it is well formed and its listing file has the size it names; null otherwise. */
export async function readSeenRecord(stateDir: string): Promise<SeenListingRecord | null> {
  const files = seenListingPaths(stateDir);
  try {
    const value: unknown = JSON.parse(await readFile(files.record, 'utf8'));
    if (!isSeenListingRecord(value)) return null;
    return (await stat(files.listing)).size === value.listingBytes ? value : null;
  } catch {
    return null;
  }
}

/** The listing `record` names, when the file still has its digest; null otherwise. */
export function readSeenListingFile(stateDir: string, record: SeenListingRecord): Promise<Buffer | null> {
  return readListingFile(seenListingPaths(stateDir).listing, record.listingDigest);
}

/**
 * Records a token's listing (`listing` null: the file in place is that listing, with the record's
 * size and digest); the retired caches' files (RETIRED_STATE_FILES), if any are left, go with it.
 */
export async function writeSeenListing(stateDir: string, record: SeenListingRecord, listing: Buffer | null): Promise<void> {
  await writeListingCache(seenListingPaths(stateDir), record, listing);
  await Promise.all(RETIRED_STATE_FILES.map((name) => rm(join(stateDir, name), { force: true }).catch(() => undefined)));
}

/** Removes the record (not its listing), as an apply does before changing any machine. */
export async function clearSeenRecord(stateDir: string): Promise<void> {
  await rm(seenListingPaths(stateDir).record, { force: true });
}
