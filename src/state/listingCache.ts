// The file pair a listing cache keeps (the copy of a seen token's listing): a JSON
// record, and the listing it names by sha256. Written without fsync, listing first; a listing
// is used only while it still has the digest its record names.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomicWrite.js';

/** A sha256 in hex. */
export const HEX64 = /^[0-9a-f]{64}$/;

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
