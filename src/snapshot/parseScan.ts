import { createHash, type Hash } from 'node:crypto';
import { decodeFsText } from '../fsText.js';
import type { Entry, EntryType } from '../types.js';
import { SCAN_MAGIC } from '../transport/scanScript.js';

/** What one machine's scan output says. */
export interface ScanOutput {
  readonly uname: string;
  /** Remote clock, seconds since the epoch. */
  readonly clock: number;
  readonly rootExists: boolean;
  readonly entries: Map<string, Entry>;
  /** False when the output stopped before its end marker (connection cut, script killed). */
  readonly complete: boolean;
  /** Special files (sockets, fifos, devices) passed over. */
  readonly skipped: number;
  /** Folders the scan could not read or enter (records of type "u"), paths relative to the root, in listing order. */
  readonly unreadable: readonly string[];
  /** The machine answered "same": its listing still has the digest it was asked about (entries is empty). */
  readonly unchanged: boolean;
  /** sha256 (hex) of the listing's bytes (the records, without header and end marker); '' when unchanged. */
  readonly listingDigest: string;
  /** The listing's bytes, when the parser was asked to keep them. */
  readonly listing?: Buffer;
  /** path → sha256 (hex) of the file's content, from a checksum scan (records of type "h"); absent when none. */
  readonly sums?: ReadonlyMap<string, string>;
  /**
   * Scans asked for the machine's base (ScanParser option `base`) of a machine whose root exists:
   * its head line ('' when it has none) and the body, unless the scan was told the controller has
   * it (`body` absent then, `had` true); with option `seen`, its seen line ('' when none).
   */
  readonly base?: { readonly head: string; readonly body?: Buffer; readonly had?: true; readonly seen?: string };
}

/** Why a scan failed when the machine's base changed while the scan read it (another blat's apply): worth one more scan. */
export const BASE_CHANGED = 'the base changed on the machine while it was read';

const NUL = 0;
const DOT = 0x2e;
const SLASH = 0x2f;
const MINUS = 0x2d;
const ZERO = 0x30;
const TYPE_BYTES: Record<number, EntryType | undefined> = { 0x66: 'file', 0x64: 'dir', 0x6c: 'symlink' }; // f d l
const UNREADABLE_TYPE = 0x75; // u
const SUM_TYPE = 0x68; // h: a file's sha256, after the listing (checksum scans)
const GONE_TYPE = 0x78; // x: in a machine's base only (state/machineBase.ts), a later part's word that the path is no longer held
const FRACTION_SCALE = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Incremental parser of the NUL-separated scan stream (see transport/scanScript.ts):
 * feed chunks with `push` as they arrive, then `finish`. Records are read straight from
 * the bytes: only the path (and a link's target) becomes a string, numbers are parsed in
 * place, so a scan of 100,000s of entries makes little garbage.
 */
export class ScanParser {
  private pending: Buffer | null = null;
  private readonly header: string[] = [];
  private ended = false;
  private same = false;
  private skippedCount = 0;
  private readonly unreadable: string[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly sums = new Map<string, string>();
  private readonly hash: Hash = createHash('sha256');
  private digest?: string;
  private readonly kept: Buffer[] | null;
  /** Called once, with the remote clock, as soon as it has arrived. */
  onClock?: (clock: number) => void;

  private readonly parse: boolean;
  /** The base section (see ScanScriptOptions.base): null when not asked for; its state while it is read. */
  private base: { stage: 'seen' | 'head' | 'count' | 'body' | 'end' | 'done'; seen?: string; head: string; need: number; body: Buffer[]; had: boolean } | null;
  /** Unparsed: the last bytes kept and not yet hashed (at most 4). */
  private held: Buffer = Buffer.alloc(0);

  /**
   * `keepListing`: keep the listing's bytes, for `finish().listing`. `parse: false`: keep them
   * without reading any record (`entries` stays empty; see snapshot/listingDiff.ts); the end
   * marker is then only looked for at the end, and a listing cut inside a record shows when it is read.
   * `base`: the output has a base section; `seen`: which begins with the seen line.
   */
  constructor(options: { readonly keepListing?: boolean; readonly parse?: boolean; readonly base?: boolean; readonly seen?: boolean } = {}) {
    this.parse = options.parse !== false;
    this.base = options.base ? { stage: options.seen ? 'seen' : 'head', head: '', need: 0, body: [], had: false } : null;
    this.kept = options.keepListing || !this.parse ? [] : null;
  }

  /** Consumes one chunk of output. */
  push(chunk: Buffer): void {
    if (this.ended) return;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    while (!this.ended && this.header.length < 4) {
      const nul = buf.indexOf(NUL, pos);
      if (nul === -1) break;
      this.headerField(buf.toString('utf8', pos, nul));
      pos = nul + 1;
    }
    if (this.header.length === 4 && this.header[3] === 'root' && this.base && this.base.stage !== 'done') pos = this.baseSection(buf, pos);
    if (this.base && this.base.stage !== 'done' && this.header[3] === 'root') {
      this.pending = pos < buf.length ? buf.subarray(pos) : null;
      return;
    }
    if (this.header.length === 4 && !this.parse) {
      this.keepUnparsed(buf.subarray(pos));
      pos = buf.length;
    } else if (this.header.length === 4) {
      // The listing is the records only: not "same", not the end marker.
      let from = pos;
      let to = pos;
      while (!this.ended) {
        const wasSame = this.same;
        const next = this.record(buf, pos);
        if (next === -1) break;
        if (this.same !== wasSame) from = next;
        else if (!this.ended) to = next;
        pos = next;
      }
      if (to > from) {
        this.hash.update(buf.subarray(from, to));
        this.kept?.push(buf.subarray(from, to));
      }
    }
    this.pending = pos < buf.length && !this.ended ? buf.subarray(pos) : null;
  }

  private headerField(value: string): void {
    this.header.push(value);
    const n = this.header.length;
    if (n === 1 && value !== SCAN_MAGIC) throw new Error(`unexpected scan output (got ${JSON.stringify(value.slice(0, 40))})`);
    if (n === 3) this.onClock?.(Number(value));
    if (n === 4 && value !== 'root' && value !== 'noroot') throw new Error('unexpected scan output header');
  }

  /** Reads what it can of the base section from `pos`; returns where it stopped. */
  private baseSection(buf: Buffer, pos: number): number {
    const b = this.base!;
    while (b.stage !== 'done') {
      if (b.stage === 'body') {
        const take = Math.min(b.need, buf.length - pos);
        if (take > 0) b.body.push(buf.subarray(pos, pos + take));
        b.need -= take;
        pos += take;
        if (b.need > 0) return pos;
        b.stage = 'end';
        continue;
      }
      const nul = buf.indexOf(NUL, pos);
      if (nul === -1) return pos;
      const field = buf.toString('utf8', pos, nul);
      pos = nul + 1;
      if (b.stage === 'seen') {
        b.seen = field;
        b.stage = 'head';
      } else if (b.stage === 'head') {
        b.head = field;
        b.stage = field === '' ? 'done' : 'count';
      } else if (b.stage === 'count') {
        if (field === 'have') {
          b.had = true;
          b.stage = 'done';
        } else if (/^[0-9]{1,15}$/.test(field)) {
          b.need = Number(field);
          b.stage = 'body';
        } else throw new Error(BASE_CHANGED);
      } else if (field !== 'base-end') throw new Error(BASE_CHANGED);
      else b.stage = 'done';
    }
    return pos;
  }

  /** Reads the record (or end marker) at `start`; returns where the next begins, or -1 when it is not all here yet. */
  private record(buf: Buffer, start: number): number {
    const len = buf.length;
    // Field ends: path, type, mtime, size, mode, target.
    const e0 = buf.indexOf(NUL, start);
    if (e0 === -1) return -1;
    if (e0 - start === 3 && buf[start] === 0x65 && buf[start + 1] === 0x6e && buf[start + 2] === 0x64) {
      this.ended = true; // "end"
      return e0 + 1;
    }
    if (this.same) throw new Error('unexpected scan output: entries after "same"');
    if (e0 - start === 4 && buf.toString('latin1', start, e0) === 'same') {
      if (this.entries.size > 0 || this.skippedCount > 0 || this.unreadable.length > 0) throw new Error('unexpected scan output: "same" after entries');
      this.same = true;
      return e0 + 1;
    }
    let e1 = e0 + 1;
    while (e1 < len && buf[e1] !== NUL) e1++;
    let e2 = e1 + 1;
    while (e2 < len && buf[e2] !== NUL) e2++;
    let e3 = e2 + 1;
    while (e3 < len && buf[e3] !== NUL) e3++;
    let e4 = e3 + 1;
    while (e4 < len && buf[e4] !== NUL) e4++;
    if (e4 >= len) return -1;
    const e5 = buf.indexOf(NUL, e4 + 1);
    if (e5 === -1) return -1;

    checkRecordPath(buf, start, e0);
    if (e1 === e0 + 2 && buf[e0 + 1] === UNREADABLE_TYPE) {
      this.unreadable.push(decodeFsText(buf, start + 2, e0));
      return e5 + 1;
    }
    if (e1 === e0 + 2 && buf[e0 + 1] === GONE_TYPE) {
      this.entries.delete(decodeFsText(buf, start + 2, e0));
      return e5 + 1;
    }
    if (e1 === e0 + 2 && buf[e0 + 1] === SUM_TYPE) {
      this.sums.set(decodeFsText(buf, start + 2, e0), buf.toString('latin1', e1 + 1, e2));
      return e5 + 1;
    }
    const entry = decodeRecordEntry(buf, e0, e1, e2, e3, e4, e5);
    if (entry === undefined) {
      this.skippedCount++;
      return e5 + 1;
    }
    this.entries.set(decodeFsText(buf, start + 2, e0), entry);
    return e5 + 1;
  }

  /** The parsed output; `complete` tells whether the end marker arrived. */
  finish(): ScanOutput {
    if (!this.parse) return this.finishUnparsed();
    return {
      uname: this.header[1] ?? '',
      clock: Number(this.header[2] ?? NaN),
      rootExists: this.header[3] === 'root',
      entries: this.entries,
      complete: this.ended,
      skipped: this.skippedCount,
      unreadable: this.unreadable,
      unchanged: this.same,
      listingDigest: this.same ? '' : (this.digest ??= this.hash.digest('hex')),
      ...(this.kept ? { listing: Buffer.concat(this.kept) } : {}),
      ...(this.sums.size > 0 ? { sums: this.sums } : {}),
      ...this.baseOutput(),
    };
  }

  private baseOutput(): Pick<ScanOutput, 'base'> {
    const b = this.base;
    if (b === null || b.stage !== 'done' || this.header[3] !== 'root') return {};
    const seen = b.seen === undefined ? {} : { seen: b.seen };
    if (b.head === '') return { base: { head: '', ...seen } };
    return { base: b.had ? { head: b.head, had: true, ...seen } : { head: b.head, body: Buffer.concat(b.body), ...seen } };
  }

  /** Keeps a chunk of an unparsed listing and hashes it as it comes, all but its last 4 bytes (where "end" will be). */
  private keepUnparsed(data: Buffer): void {
    this.kept?.push(data);
    let tail = data;
    if (this.held.length > 0) {
      if (data.length >= 4) this.hash.update(this.held);
      else tail = Buffer.concat([this.held, data]);
    }
    if (tail.length > 4) this.hash.update(tail.subarray(0, tail.length - 4));
    this.held = tail.length > 4 ? tail.subarray(tail.length - 4) : tail;
  }

  private finishUnparsed(): ScanOutput {
    const body = Buffer.concat(this.kept ?? []);
    const n = body.length;
    // "end" after the last record's last NUL (a cut inside a record shows when the listing is read).
    const complete = this.header.length === 4 && n >= 4 && body.toString('latin1', n - 4) === 'end\0' && (n === 4 || body[n - 5] === NUL);
    // "same" (see ScanScriptOptions.seen) is the whole output when it is given: records begin with "./".
    const same = complete && n === 9 && body.toString('latin1', 0, 5) === 'same\0';
    if (same && this.base?.seen === undefined) throw new Error('unexpected scan output: "same" unasked');
    const listing = same ? Buffer.alloc(0) : complete ? body.subarray(0, n - 4) : body;
    // The hash has every byte but the last 4: the listing's, when they are "end".
    return {
      uname: this.header[1] ?? '',
      clock: Number(this.header[2] ?? NaN),
      rootExists: this.header[3] === 'root',
      entries: this.entries,
      complete,
      skipped: 0,
      unreadable: [],
      unchanged: same,
      listingDigest: complete && !same ? (this.digest ??= this.hash.digest('hex')) : '',
      listing,
      ...this.baseOutput(),
    };
  }
}

function checkRecordPath(buf: Buffer, start: number, e0: number): void {
  if (buf[start] !== DOT || buf[start + 1] !== SLASH) {
    throw new Error(`unexpected path in scan output: ${JSON.stringify(buf.toString('utf8', start, Math.min(e0, start + 80)))}`);
  }
}

/** The frozen entry of a record whose fields end at e0…e5; undefined for a special file (not synced). */
function decodeRecordEntry(buf: Buffer, e0: number, e1: number, e2: number, e3: number, e4: number, e5: number): Entry | undefined {
  const type = e1 === e0 + 2 ? TYPE_BYTES[buf[e0 + 1]] : undefined;
  if (type === undefined) return undefined;
  const mtime = readDecimal(buf, e1 + 1, e2);
  const mode = readOctal(buf, e3 + 1, e4);
  const entry: Entry =
    type === 'symlink'
      ? { type, mtime, size: readDecimal(buf, e2 + 1, e3), mode, target: decodeFsText(buf, e4 + 1, e5) }
      : { type, mtime, size: type === 'dir' ? 0 : readDecimal(buf, e2 + 1, e3), mode };
  return Object.freeze(entry);
}

/** One record of a bare listing: where it ends (the next record's start) and what it says. */
export interface ListingRecord {
  readonly next: number;
  readonly path: string;
  /** undefined for a special file (socket, fifo, device): passed over, as the scan passes it. */
  readonly entry: Entry | undefined;
}

/**
 * The end of the record at `start` of a bare listing (see ScanParser.finish().listing): the
 * index after its sixth NUL; an Error when the listing ends inside it.
 */
export function findRecordEnd(listing: Buffer, start: number): number {
  const len = listing.length;
  let at = start;
  for (let field = 0; field < 6; field++) {
    while (at < len && listing[at] !== NUL) at++; // faster than indexOf for fields this short
    if (at >= len) throw new Error('scan listing cut inside a record');
    at++;
  }
  return at;
}

/** The record at `start` of a bare listing; an Error when it is not well formed. */
export function readListingRecord(listing: Buffer, start: number): ListingRecord {
  const e0 = listing.indexOf(NUL, start);
  const e1 = listing.indexOf(NUL, e0 + 1);
  const e2 = listing.indexOf(NUL, e1 + 1);
  const e3 = listing.indexOf(NUL, e2 + 1);
  const e4 = listing.indexOf(NUL, e3 + 1);
  const e5 = listing.indexOf(NUL, e4 + 1);
  if (e0 === -1 || e1 === -1 || e2 === -1 || e3 === -1 || e4 === -1 || e5 === -1) throw new Error('scan listing cut inside a record');
  checkRecordPath(listing, start, e0);
  return { next: e5 + 1, path: decodeFsText(listing, start + 2, e0), entry: decodeRecordEntry(listing, e0, e1, e2, e3, e4, e5) };
}

/** The entries of a bare listing (the records of a scan, as `finish().listing` keeps them). */
export function parseListing(listing: Buffer): ScanOutput {
  const parser = new ScanParser();
  parser.push(Buffer.from(`${SCAN_MAGIC}\0\0NaN\0root\0`, 'latin1'));
  parser.push(listing);
  parser.push(Buffer.from('end\0', 'latin1'));
  const out = parser.finish();
  if (!out.complete || out.unchanged) throw new Error('not a listing');
  return out;
}

/** A decimal number written in buf[from, to) (`-12`, `1700000000.123456789`), to nanosecond precision. */
export function readDecimal(buf: Buffer, from: number, to: number): number {
  let i = from;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  let whole = 0;
  for (; i < to && buf[i] !== DOT; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return Number(buf.toString('latin1', from, to));
    whole = whole * 10 + d;
  }
  let fraction = 0;
  let digits = 0;
  for (i++; i < to && digits < 9; i++, digits++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return Number(buf.toString('latin1', from, to));
    fraction = fraction * 10 + d;
  }
  const value = whole + fraction / FRACTION_SCALE[digits];
  return negative ? -value : value;
}

function readOctal(buf: Buffer, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 8 + (buf[i] - ZERO);
  return value;
}
