// What a machine's listing changed since a reference listing, found without parsing what it did
// not change. Listings (see ScanParser.finish().listing) of an unchanged tree come back byte
// for byte, in the same order: records are compared as bytes, in step, and only the records
// that differ are parsed. Order does not matter for the result, only for the speed: records
// out of step are looked for a little further on; past that (another machine's filesystem may
// list a folder in another order), the rest is matched by content through a hash of each record.
import type { Entry } from '../types.js';
import { findRecordEnd, readListingRecord } from './parseScan.js';

/** How far ahead (in records) an insertion or removal is looked for before the rest is matched by content. */
const LOOKAHEAD = 64;

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

/** Thrown by diffListing when more records differ than it was allowed to read. */
export class TooManyChanges extends Error {}

/**
 * The records of `listing` that are not byte for byte in `reference`, and the reverse. An Error
 * when either is not a well-formed listing; a TooManyChanges once more than `maxUnmatched`
 * records differ (on both sides together): reading them all here would cost more than a parse.
 */
export function diffListing(reference: Buffer, listing: Buffer, maxUnmatched = Infinity): ListingDiff {
  const now = new Map<string, Unmatched>();
  const was = new Map<string, Unmatched>();
  const take = (into: Map<string, Unmatched>, buf: Buffer, start: number): number => {
    const r = readListingRecord(buf, start);
    into.set(r.path, { entry: r.entry, start, end: r.next });
    if (now.size + was.size > maxUnmatched) throw new TooManyChanges(`more than ${maxUnmatched} records differ`);
    return r.next;
  };
  let i = 0; // reference
  let j = 0; // listing
  let records = 0;
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
    if (!samePath(reference, i, listing, j)) {
      // Records inserted in the listing, or removed from it: find where the two meet again.
      const inserted = findRecord(listing, jEnd, reference, i, iEnd);
      if (inserted !== -1) {
        for (let k = j; k < inserted; records++) k = take(now, listing, k);
        j = inserted;
        continue;
      }
      const removed = findRecord(reference, iEnd, listing, j, jEnd);
      if (removed !== -1) {
        for (let k = i; k < removed; ) k = take(was, reference, k);
        i = removed;
        continue;
      }
      // Out of step beyond the lookahead: the rest, in any order, by content.
      records += matchByContent(reference, i, listing, j, (at) => take(now, listing, at), (at) => take(was, reference, at));
      i = reference.length;
      j = listing.length;
      break;
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

/** Where, among the LOOKAHEAD records of `buf` from `from`, the record other[start, end) is; -1 when it is not there. */
function findRecord(buf: Buffer, from: number, other: Buffer, start: number, end: number): number {
  const len = end - start;
  let at = from;
  for (let n = 0; n < LOOKAHEAD && at < buf.length; n++) {
    const next = findRecordEnd(buf, at);
    if (next - at === len && buf.compare(other, start, end, at, next) === 0) return at;
    at = next;
  }
  return -1;
}

/**
 * Matches the records of listing[j…] with those of reference[i…] byte for byte, in any order
 * (a hash of each record, then a comparison); passes the start of each record left unmatched on
 * either side to `unmatchedNow` / `unmatchedWas`. Returns how many records listing[j…] has.
 */
function matchByContent(reference: Buffer, i: number, listing: Buffer, j: number, unmatchedNow: (start: number) => void, unmatchedWas: (start: number) => void): number {
  const starts: number[] = [];
  const ends: number[] = [];
  const chain: number[] = []; // index of the next record with the same hash, or -1
  const first = new Map<number, number>();
  for (let at = i; at < reference.length; ) {
    const end = findRecordEnd(reference, at);
    const k = starts.length;
    const hash = hashRecord(reference, at, end);
    starts.push(at);
    ends.push(end);
    chain.push(first.get(hash) ?? -1);
    first.set(hash, k);
    at = end;
  }
  const matched = new Uint8Array(starts.length);
  let records = 0;
  for (let at = j; at < listing.length; records++) {
    const end = findRecordEnd(listing, at);
    let k = first.get(hashRecord(listing, at, end)) ?? -1;
    while (k !== -1 && (matched[k] === 1 || ends[k] - starts[k] !== end - at || reference.compare(listing, at, end, starts[k], ends[k]) !== 0)) k = chain[k];
    if (k === -1) unmatchedNow(at);
    else matched[k] = 1;
    at = end;
  }
  for (let k = 0; k < starts.length; k++) if (matched[k] === 0) unmatchedWas(starts[k]);
  return records;
}

/** FNV-1a (32 bits) of buf[from, to). */
function hashRecord(buf: Buffer, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let p = from; p < to; p++) hash = Math.imul(hash ^ buf[p], 0x01000193);
  return hash >>> 0;
}
