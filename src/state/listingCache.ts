// The file pair both listing caches keep (the copy of a seen token's listing, and the synced listing): a JSON
// record, and the listing it names by sha256. Written without fsync, listing first; a listing
// is used only while it still has the digest its record names.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomicWrite.js';

/** What a listing cache must match to be used: the run it was recorded for. */
export interface ListingCacheKey {
  readonly configDigest: string;
  readonly self: string;
  /** The scanned sync paths (after narrowing by path arguments). */
  readonly paths: readonly string[];
  /** The machines the run scans (not outofuse), config order. */
  readonly machines: readonly string[];
}

/** A sha256 in hex. */
export const HEX64 = /^[0-9a-f]{64}$/;

/** True when `value` is a format-1 cache record for `key`'s config digest, self and scanned paths (its machines are each cache's own check). */
export function isRecordedFor(value: unknown, key: ListingCacheKey): value is { readonly format: 1; readonly configDigest: string; readonly self: string; readonly paths: readonly string[] } {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as { format?: unknown; configDigest?: unknown; self?: unknown; paths?: unknown };
  return r.format === 1 && r.configDigest === key.configDigest && r.self === key.self && isSameList(r.paths, key.paths);
}

/** True when `a` is an array holding exactly `b`'s strings, in order. */
export function isSameList(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The listing in `file` when its sha256 (hex) is `digest`; null when it is not, or cannot be read. */
export async function readListingFile(file: string, digest: string): Promise<Buffer | null> {
  try {
    const listing = await readFile(file);
    return createHash('sha256').update(listing).digest('hex') === digest ? listing : null;
  } catch {
    return null;
  }
}

/** Writes `listing` (unless null: the one in place stays), then the record naming it. */
export async function writeListingCache(files: { readonly record: string; readonly listing: string }, record: object, listing: Buffer | null): Promise<void> {
  if (listing !== null) await writeFileAtomic(files.listing, listing, { durable: false });
  await writeFileAtomic(files.record, JSON.stringify(record) + '\n', { durable: false });
}
