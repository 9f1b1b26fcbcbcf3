// What a machine's listing changed since a reference listing, found without parsing what it did
// not change. Listings (see ScanParser.finish().listing) of an unchanged tree come back byte
// for byte, in the same order: records are compared as bytes, in step, and only the records
// that differ are parsed. Order does not matter for the result, only for the speed: records
// out of step are looked for a little further on, and whatever stays unmatched is compared by
// path at the end.
import type { Entry } from '../types.js';
import { findRecordEnd, readListingRecord } from './parseScan.js';

/** How far ahead (in records) an insertion or removal is looked for before records are taken as unmatched. */
const LOOKAHEAD = 512;

/** A machine's listing against the reference. Paths in neither map hold the reference's entry, byte for byte. */
export interface ListingDiff {
  /** Paths whose record differs or is new: the machine's entry there (undefined: a special file, passed over). */
  readonly now: ReadonlyMap<string, Entry | undefined>;
  /** Paths whose reference record the machine no longer has as it was: the reference's entry. */
  readonly was: ReadonlyMap<string, Entry | undefined>;
  /** Records of the listing. */
  readonly records: number;
}

interface Unmatched {
  readonly entry: Entry | undefined;
  readonly start: number;
  readonly end: number;
}

/**
 * The records of `listing` that are not byte for byte in `reference`, and the reverse. An Error
 * when either is not a well-formed listing.
 */
export function diffListing(reference: Buffer, listing: Buffer): ListingDiff {
  const now = new Map<string, Unmatched>();
  const was = new Map<string, Unmatched>();
  const take = (into: Map<string, Unmatched>, buf: Buffer, start: number): number => {
    const r = readListingRecord(buf, start);
    into.set(r.path, { entry: r.entry, start, end: r.next });
    return r.next;
  };
  let i = 0; // reference
  let j = 0; // listing
  let records = 0;
  // Lookahead work allowed: a listing shuffled throughout falls back to matching by path, in linear time.
  let budget = 8 * LOOKAHEAD + reference.length / 8;
  while (i < reference.length && j < listing.length) {
    const jEnd = findRecordEnd(listing, j);
    const len = jEnd - j;
    if (i + len <= reference.length && reference.compare(listing, j, jEnd, i, i + len) === 0) {
      i += len;
      j = jEnd;
      records++;
      continue;
    }
    const iEnd = findRecordEnd(reference, i);
    if (!samePath(reference, i, listing, j) && budget > 0) {
      // Records inserted in the listing, or removed from it: find where the two meet again.
      const inserted = findRecord(listing, jEnd, reference, i, iEnd);
      budget -= inserted.looked;
      if (inserted.at !== -1) {
        for (let k = j; k < inserted.at; records++) k = take(now, listing, k);
        j = inserted.at;
        continue;
      }
      const removed = findRecord(reference, iEnd, listing, j, jEnd);
      budget -= removed.looked;
      if (removed.at !== -1) {
        for (let k = i; k < removed.at; ) k = take(was, reference, k);
        i = removed.at;
        continue;
      }
    }
    take(now, listing, j);
    take(was, reference, i);
    i = iEnd;
    j = jEnd;
    records++;
  }
  while (j < listing.length) {
    j = take(now, listing, j);
    records++;
  }
  while (i < reference.length) i = take(was, reference, i);

  // Records that matched out of step.
  const nowEntries = new Map<string, Entry | undefined>();
  for (const [path, u] of now) {
    const w = was.get(path);
    if (w !== undefined && w.end - w.start === u.end - u.start && reference.compare(listing, u.start, u.end, w.start, w.end) === 0) {
      was.delete(path);
      continue;
    }
    nowEntries.set(path, u.entry);
  }
  const wasEntries = new Map<string, Entry | undefined>();
  for (const [path, w] of was) wasEntries.set(path, w.entry);
  return { now: nowEntries, was: wasEntries, records };
}

/** True when the records at a[i] and b[j] have the same path bytes. */
function samePath(a: Buffer, i: number, b: Buffer, j: number): boolean {
  const ae = a.indexOf(0, i);
  const be = b.indexOf(0, j);
  return ae - i === be - j && a.compare(b, j, be, i, ae) === 0;
}

/**
 * Where, among the LOOKAHEAD records of `buf` from `from`, the record other[start, end) is
 * (-1 when it is not there), and how many records were looked at.
 */
function findRecord(buf: Buffer, from: number, other: Buffer, start: number, end: number): { at: number; looked: number } {
  const len = end - start;
  let at = from;
  for (let n = 0; n < LOOKAHEAD && at < buf.length; n++) {
    const next = findRecordEnd(buf, at);
    if (next - at === len && buf.compare(other, start, end, at, next) === 0) return { at, looked: n + 1 };
    at = next;
  }
  return { at: -1, looked: LOOKAHEAD };
}
