import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseListing, ScanParser } from '../../src/snapshot/parseScan.js';

const record = (path: string, type: string, mtime: string, size: number, mode: string, link = '') => `${path}\x00${type}\x00${mtime}\x00${size}\x00${mode}\x00${link}\x00`;
const stream = (body: string, root = 'root', end = true) => `blat-scan-1\x00Linux\x00001700000000.5\x00${root}\x00${body}${end ? 'end\x00' : ''}`;

/** Feeds the bytes in pieces of `size` bytes (cutting through fields and multi-byte characters). */
function parse(text: string, size: number) {
  const bytes = Buffer.from(text, 'utf8');
  const parser = new ScanParser();
  let clock: number | undefined;
  parser.onClock = (c) => (clock = c);
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
  return { out: parser.finish(), clock };
}

const body =
  record('./docs', 'd', '1700000000.0000000000', 4096, '755') +
  record('./docs/naïve ünïcödé ✓', 'f', '1700000001.1234567890', 12, '644') +
  record('./docs/new\nline', 'f', '1700000002.5', 3, '600') +
  record('./docs/-rf', 'f', '1700000003', 0, '644') +
  record('./docs/link', 'l', '1700000004.25', 6, '777', '../x y') +
  record('./docs/fifo', 'p', '1700000005', 0, '644');

describe('ScanParser without parsing (parse: false)', () => {
  it.each([1, 2, 3, 5, 7, 64, 65536])('keeps the listing and its digest as the parsing one does (chunks of %i bytes)', (size) => {
    const bytes = Buffer.from(stream(body), 'utf8');
    const parsed = new ScanParser({ keepListing: true });
    const kept = new ScanParser({ parse: false });
    for (let i = 0; i < bytes.length; i += size) {
      parsed.push(bytes.subarray(i, i + size));
      kept.push(bytes.subarray(i, i + size));
    }
    const a = parsed.finish();
    const b = kept.finish();
    expect(b.complete).toBe(true);
    expect(b.entries.size).toBe(0);
    expect(b.listing).toEqual(a.listing);
    expect(b.listingDigest).toBe(a.listingDigest);
    expect(b.listingDigest).toBe(createHash('sha256').update(a.listing!).digest('hex'));
    expect(kept.finish()).toEqual(b);
  });

  it('is incomplete without its end marker, and then has no digest', () => {
    const kept = new ScanParser({ parse: false });
    kept.push(Buffer.from(stream(body, 'root', false), 'utf8'));
    expect(kept.finish()).toMatchObject({ complete: false, listingDigest: '' });
    const empty = new ScanParser({ parse: false });
    empty.push(Buffer.from(stream(''), 'utf8'));
    expect(empty.finish()).toMatchObject({ complete: true, listing: Buffer.alloc(0) });
  });
});

describe('ScanParser', () => {
  it('can be finished twice, with the same result', () => {
    const p = new ScanParser();
    p.push(Buffer.from('blat-scan-1\x00Linux\x001\x00root\x00./a\x00f\x001\x002\x00644\x00\x00end\x00'));
    const first = p.finish();
    expect(p.finish()).toEqual(first);
    expect(first.listingDigest).toMatch(/^[0-9a-f]{64}$/);
  });
  it.each([1, 2, 3, 7, 64, 65536])('parses the same entries whatever the chunk size (%i bytes)', (size) => {
    const { out, clock } = parse(stream(body), size);
    expect(clock).toBe(1700000000.5);
    expect(out.complete).toBe(true);
    expect(out.rootExists).toBe(true);
    expect(out.uname).toBe('Linux');
    expect(out.skipped).toBe(1);
    expect([...out.entries.keys()]).toEqual(['docs', 'docs/naïve ünïcödé ✓', 'docs/new\nline', 'docs/-rf', 'docs/link']);
    expect(out.entries.get('docs')).toEqual({ type: 'dir', mtime: 1700000000, size: 0, mode: 0o755 });
    expect(out.entries.get('docs/naïve ünïcödé ✓')).toEqual({ type: 'file', mtime: 1700000001.123456789, size: 12, mode: 0o644 });
    expect(out.entries.get('docs/link')).toEqual({ type: 'symlink', mtime: 1700000004.25, size: 6, mode: 0o777, target: '../x y' });
    expect(Object.isFrozen(out.entries.get('docs/-rf'))).toBe(true);
  });

  it('reports a stream cut before its end marker as incomplete', () => {
    const { out } = parse(stream(body, 'root', false), 10);
    expect(out.complete).toBe(false);
  });

  it('reports a missing root', () => {
    const { out } = parse('blat-scan-1\x00Linux\x00001.0\x00noroot\x00end\x00', 5);
    expect(out.rootExists).toBe(false);
    expect(out.complete).toBe(true);
    expect(out.entries.size).toBe(0);
  });

  it('refuses output that is not a scan (a login banner, a shell error)', () => {
    const parser = new ScanParser();
    expect(() => parser.push(Buffer.from('Welcome to host!\n\x00'))).toThrow(/unexpected scan output/);
  });

  it('refuses a record whose path does not start with ./', () => {
    const parser = new ScanParser();
    expect(() => parser.push(Buffer.from(stream(record('/etc/passwd', 'f', '1', 1, '644'))))).toThrow(/unexpected path/);
  });
});

describe('readDecimal', () => {
  it('agrees with Number() to well under a microsecond', async () => {
    const { readDecimal } = await import('../../src/snapshot/parseScan.js');
    for (const s of ['0', '7', '-12', '-1.5', '1700000000', '1700000000.5', '1700000000.1234567890', '1795553901.6332207', '999999999.000000001', '12.']) {
      expect(Math.abs(readDecimal(Buffer.from(s), 0, s.length) - Number(s))).toBeLessThan(1e-6);
    }
  });

  it('keeps enough of find\'s nanoseconds that versions compare exactly: 0.1 s and 2 µs apart differ, one time printed two ways does not', async () => {
    const { readDecimal } = await import('../../src/snapshot/parseScan.js');
    const { sameMtime } = await import('../../src/plan/versions.js');
    const read = (s: string) => readDecimal(Buffer.from(s), 0, s.length);
    expect(sameMtime(read('1800000000.100000000'), read('1800000000.200000000'), 0)).toBe(false);
    expect(sameMtime(read('1800000000.123456000'), read('1800000000.123458000'), 0)).toBe(false);
    // GNU find's %T@ and perl's %.9f of a double, for one nanosecond time.
    expect(sameMtime(read('1800000000.123456789'), read('1800000000.123456717'), 0)).toBe(true);
    // A filesystem keeping whole seconds: compared at whole seconds.
    expect(sameMtime(read('1800000000.900000000'), read('1800000000.000000000'), 0)).toBe(true);
    expect(sameMtime(read('1800000000.900000000'), read('1800000001.000000000'), 0)).toBe(false);
  });
});

/** Feeds the bytes in pieces of `size` bytes to a parser keeping the listing. */
function parseKeeping(text: string, size: number) {
  const bytes = Buffer.from(text, 'utf8');
  const parser = new ScanParser({ keepListing: true });
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
  return parser.finish();
}
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

describe('ScanParser: "same", listing digest, kept listing', () => {
  it.each([1, 4, 5, 64, 65536])('reads "same" then "end" as unchanged, with no entries and no digest (%i-byte chunks)', (size) => {
    const out = parseKeeping(stream('same\x00'), size);
    expect(out.unchanged).toBe(true);
    expect(out.complete).toBe(true);
    expect(out.rootExists).toBe(true);
    expect(out.entries.size).toBe(0);
    expect(out.skipped).toBe(0);
    expect(out.listingDigest).toBe('');
    expect(out.listing).toEqual(Buffer.alloc(0));
  });

  it('is not unchanged for a plain listing, nor for an empty one', () => {
    expect(parseKeeping(stream(body), 7).unchanged).toBe(false);
    const empty = parseKeeping(stream(''), 3);
    expect(empty.unchanged).toBe(false);
    expect(empty.listingDigest).toBe(sha256(''));
    expect(empty.listing).toEqual(Buffer.alloc(0));
  });

  it('digests exactly the record bytes (skipped records included; header and end marker not), whatever the chunks', () => {
    const expected = sha256(Buffer.from(body, 'utf8'));
    expect(expected).not.toBe(sha256(Buffer.from(stream(body), 'utf8')));
    const digests = [1, 2, 3, 6, 7, 64, 65536].map((size) => parseKeeping(stream(body), size).listingDigest);
    expect(digests).toEqual(digests.map(() => expected));
    // A different header (uname, clock, root) does not change the listing's digest.
    const other = `blat-scan-1\x00Darwin\x001800000000.25\x00root\x00${body}end\x00`;
    expect(parseKeeping(other, 5).listingDigest).toBe(expected);
  });

  it('computes the digest without keeping the listing too', () => {
    const bytes = Buffer.from(stream(body), 'utf8');
    const parser = new ScanParser();
    for (let i = 0; i < bytes.length; i++) parser.push(bytes.subarray(i, i + 1));
    const out = parser.finish();
    expect(out.listingDigest).toBe(sha256(Buffer.from(body, 'utf8')));
    expect(out.listing).toBeUndefined();
  });

  it.each([1, 3, 65536])('keeps exactly the record bytes as the listing (%i-byte chunks)', (size) => {
    const out = parseKeeping(stream(body), size);
    expect(out.listing).toEqual(Buffer.from(body, 'utf8'));
  });

  it('digests what arrived of a stream cut short', () => {
    const first = record('./docs', 'd', '1700000000', 4096, '755');
    const out = parseKeeping(stream(first + './docs/partial\x00f\x001', 'root', false), 4);
    expect(out.complete).toBe(false);
    expect(out.listingDigest).toBe(sha256(first));
    expect(out.listing).toEqual(Buffer.from(first));
  });

  it.each([1, 65536])('refuses a record after "same" (%i-byte chunks)', (size) => {
    expect(() => parseKeeping(stream('same\x00' + record('./docs', 'd', '1', 0, '755')), size)).toThrow('unexpected scan output: entries after "same"');
    expect(() => parseKeeping(stream('same\x00same\x00'), size)).toThrow(/after "same"/);
  });

  it.each([
    ['an entry', record('./docs', 'd', '1', 0, '755')],
    ['a skipped special file', record('./docs/fifo', 'p', '1', 0, '644')],
  ])('refuses "same" after %s', (_what, first) => {
    expect(() => parseKeeping(stream(first + 'same\x00'), 65536)).toThrow('unexpected scan output: "same" after entries');
    expect(() => parseKeeping(stream(first + 'same\x00'), 1)).toThrow('unexpected scan output: "same" after entries');
  });

  it('takes a file named "same" (./same) for a record, not the marker', () => {
    const out = parseKeeping(stream(record('./same', 'f', '1', 2, '644')), 3);
    expect(out.unchanged).toBe(false);
    expect([...out.entries.keys()]).toEqual(['same']);
  });
});

describe('parseListing', () => {
  it('round-trips a kept listing to the same entries, skipped count and digest', () => {
    const out = parseKeeping(stream(body), 3);
    const back = parseListing(out.listing!);
    expect(back.entries).toEqual(out.entries);
    expect([...back.entries.keys()]).toEqual([...out.entries.keys()]);
    expect(back.skipped).toBe(1);
    expect(back.complete).toBe(true);
    expect(back.unchanged).toBe(false);
    expect(back.listingDigest).toBe(out.listingDigest);
  });

  it('reads an empty listing as no entries', () => {
    expect(parseListing(Buffer.alloc(0)).entries.size).toBe(0);
  });

  it('refuses what is not a listing', () => {
    expect(() => parseListing(Buffer.from('same\x00'))).toThrow('not a listing');
    expect(() => parseListing(Buffer.from('./docs\x00d\x001\x00'))).toThrow();
  });
});
