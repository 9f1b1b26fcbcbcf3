import { describe, expect, it } from 'vitest';
import { buildBaseFromMachines, readMachineBases } from '../../src/snapshot/machineBases.js';
import { ScanParser } from '../../src/snapshot/parseScan.js';
import type { MachineScan } from '../../src/snapshot/scanMachine.js';
import { renderBaseBody, renderBaseHead, type MachineBaseHead } from '../../src/state/machineBase.js';
import type { Base, Entry } from '../../src/types.js';

const file = (mtime: number): Entry => ({ type: 'file', mtime, size: 1, mode: 0o644 });
const record = (path: string, mtime: number) => `./${path}\0f\0${mtime}\x001\x00644\0\0`;
const head = (id: string, machines: string[], files = 1): MachineBaseHead => ({ id, chain: [id], rows: 1, logRows: 0, set: 's', at: '2026-01-01T00:00:00.000Z', by: { host: 'h', pid: 1 }, paths: ['docs'], machines, files: { docs: files } });

/** The scan stream of a machine holding `listing`, with a base section. */
function stream(base: string, listing: string): Buffer {
  return Buffer.concat([Buffer.from('blat-scan-1\0Linux\x001700000000.5\0root\0'), Buffer.from(base, 'latin1'), Buffer.from(listing), Buffer.from('end\0')]);
}

/** Feeds `bytes` to a parser expecting a base section, in pieces of `size`. */
function parse(bytes: Buffer, size: number) {
  const parser = new ScanParser({ base: true });
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
  return parser.finish();
}

describe('ScanParser: the base section', () => {
  const body = Buffer.from(record('docs/a', 1700000000) + record('docs/end', 1700000001));
  const headLine = renderBaseHead(head('k1-aaaaaa', ['m1'])).trimEnd();
  it.each([1, 2, 3, 7, 64, 65536])('reads the head and the body sent whole, then the listing (chunks of %i bytes)', (size) => {
    const out = parse(stream(`${headLine}\0${body.length}\0${body.toString('latin1')}base-end\0`, record('docs/b', 1700000002)), size);
    expect(out.complete).toBe(true);
    expect(out.base).toEqual({ head: headLine, body });
    expect([...out.entries.keys()]).toEqual(['docs/b']);
  });

  it('reads "have" (the controller holds that body) and no head at all', () => {
    expect(parse(stream(`${headLine}\0have\0`, ''), 5).base).toEqual({ head: headLine, had: true });
    expect(parse(stream('\0', record('docs/b', 1)), 4).base).toEqual({ head: '' });
  });

  it.each([1, 3, 64])('reads the seen line before the head when asked, then "same" (chunks of %i bytes)', (size) => {
    const seenLine = `blat-seen-1 ${'a'.repeat(64)} tok 2 1`;
    const parser = new ScanParser({ base: true, seen: true });
    const bytes = stream(`${seenLine}\0${headLine}\0have\0`, '');
    const withSame = Buffer.concat([bytes.subarray(0, bytes.length - 4), Buffer.from('same\0end\0')]);
    for (let i = 0; i < withSame.length; i += size) parser.push(withSame.subarray(i, i + size));
    const out = parser.finish();
    expect(out.base).toEqual({ head: headLine, had: true, seen: seenLine });
    expect(out.unchanged).toBe(true);
    // None: an empty field, and the head as before.
    expect(parse(Buffer.from(''), 1).base).toBeUndefined();
    const none = new ScanParser({ base: true, seen: true });
    none.push(stream('\0\0', record('docs/b', 1)));
    expect(none.finish()).toMatchObject({ base: { head: '', seen: '' }, unchanged: false });
  });

  it.each([1, 4, 64])('reads "same" in a listing kept unparsed too (chunks of %i bytes); refuses it unasked', (size) => {
    const seenLine = `blat-seen-1 ${'a'.repeat(64)} tok 2 1`;
    const bytes = Buffer.concat([stream(`${seenLine}\0${headLine}\0have\0`, '').subarray(0, -4), Buffer.from('same\0end\0')]);
    const parser = new ScanParser({ base: true, seen: true, parse: false });
    for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size));
    expect(parser.finish()).toMatchObject({ unchanged: true, complete: true, listing: Buffer.alloc(0), listingDigest: '' });
    // A listing whose first record is ./same is a listing.
    const named = new ScanParser({ base: true, seen: true, parse: false });
    named.push(stream(`${seenLine}\0${headLine}\0have\0`, record('same', 1)));
    expect(named.finish()).toMatchObject({ unchanged: false, complete: true });
    const unasked = new ScanParser({ base: true, parse: false });
    unasked.push(Buffer.concat([stream(`${headLine}\0have\0`, '').subarray(0, -4), Buffer.from('same\0end\0')]));
    expect(() => unasked.finish()).toThrow(/same/);
  });

  it('refuses a body cut short (removed while it was read) instead of reading the listing as base', () => {
    const cut = body.subarray(0, 10).toString('latin1');
    expect(() => parse(stream(`${headLine}\0${body.length}\0${cut}base-end\0`, record('docs/b', 1) + record('docs/c', 1)), 7)).toThrow(/base changed/);
    expect(() => parse(stream(`${headLine}\0x\0`, ''), 7)).toThrow(/base changed/);
  });
});

/** A scan that answered with `base` (head line, and body or "have"). */
function scanWith(base: { head: string; body?: Buffer; had?: true }, entries = new Map<string, Entry>([['docs/a', file(1)]])): MachineScan {
  return { ok: true, os: 'linux', clockOffsetMs: 0, digest: 'd', warnings: [], unreadable: [], output: { uname: 'Linux', clock: 0, rootExists: true, entries, complete: true, skipped: 0, unreadable: [], unchanged: false, listingDigest: 'd', base } };
}

describe('readMachineBases', () => {
  const names = ['m1', 'm2', 'm3'];
  const online = () => true;
  const h1 = head('k1-aaaaaa', ['m1', 'm2', 'm3']);
  const line = (h: MachineBaseHead) => renderBaseHead(h).trimEnd();

  it('the controller copy stands for a machine whose head names the body it holds; a body sent replaces it', () => {
    const sent = new Map([['docs/a', file(5)]]);
    const scans = [scanWith({ head: line(h1), had: true }), scanWith({ head: line(head('k2-bbbbbb', ['m1', 'm2', 'm3'])), body: renderBaseBody(sent) }), scanWith({ head: line(h1), had: true })];
    const read = readMachineBases(names, scans, online, new Map([['m1', 'k1-aaaaaa'], ['m2', 'k1-aaaaaa'], ['m3', 'k1-aaaaaa']]), new Set(), ['docs'], '.blat/sets/s');
    expect(read.cached).toBe(false);
    expect(read.found.get('m1')?.kind).toBe('cached');
    const m2 = read.found.get('m2');
    expect(m2?.kind === 'sent' && m2.entries.get('docs/a')?.mtime).toBe(5);
    const copy: Base = Object.assign(new Map([['m1', new Map([['docs/a', file(1)]])], ['m2', new Map([['docs/a', file(1)]])]]), { covered: new Map([['m1', ['docs']]]) });
    const base = buildBaseFromMachines(copy, read);
    expect(base.get('m1')?.get('docs/a')?.mtime).toBe(1);
    expect(base.get('m2')?.get('docs/a')?.mtime).toBe(5);
    expect(base.covered?.get('m2')).toEqual(['docs']);
    const all = readMachineBases(names, [scans[0], scans[0], scans[2]], online, new Map([['m1', 'k1-aaaaaa'], ['m2', 'k1-aaaaaa'], ['m3', 'k1-aaaaaa']]), new Set(), ['docs'], '.blat/sets/s');
    expect(all.cached).toBe(true);
    expect(buildBaseFromMachines(copy, all)).toBe(copy);
  });

  it('a machine with no record that another head names is lost, whoever asks; one nobody names is new', () => {
    const scans = [scanWith({ head: line(head('k1-aaaaaa', ['m1', 'm2'])), body: Buffer.alloc(0) }), scanWith({ head: '' }), scanWith({ head: '' })];
    for (const have of [null, new Map<string, string>()]) {
      const read = readMachineBases(names, scans, online, have, new Set(), ['docs'], '.blat/sets/s');
      const m2 = read.found.get('m2');
      expect(m2?.kind === 'lost' && m2.reason).toMatch(/not the disk that was synced\? its root holds no record of the last sync \(\.blat\/sets\/s\).*--new m2/);
      expect(read.found.get('m3')).toEqual({ kind: 'none', seed: have === null });
      expect(read.cached).toBe(false);
    }
    // --new: taken as new, with an empty base and nothing covered.
    const renewed = readMachineBases(names, scans, online, null, new Set(['m2']), ['docs'], '.blat/sets/s');
    expect(renewed.found.get('m2')).toEqual({ kind: 'none', seed: false });
    const copy: Base = Object.assign(new Map([['m2', new Map([['docs/a', file(1)]])]]), { covered: new Map([['m2', ['docs']]]) });
    const base = buildBaseFromMachines(copy, renewed);
    expect(base.get('m2')).toBeUndefined();
    expect(base.covered?.get('m2')).toBeUndefined();
  });

  it('a machine whose whole sync path is empty though its head counted files there is lost; a narrowed scan or an unchanged one is not judged', () => {
    const emptyHead = line(head('k1-aaaaaa', ['m1'], 3));
    const read = readMachineBases(['m1'], [scanWith({ head: emptyHead, had: true }, new Map([['docs', { type: 'dir', mtime: 1, size: 0, mode: 0o755 }]]))], online, new Map([['m1', 'k1-aaaaaa']]), new Set(), ['docs'], 'd');
    const m1 = read.found.get('m1');
    expect(m1?.kind === 'lost' && m1.reason).toMatch(/docs is empty there, though it held 3 files after the last sync/);
    const narrowed = readMachineBases(['m1'], [scanWith({ head: emptyHead, had: true }, new Map())], online, new Map([['m1', 'k1-aaaaaa']]), new Set(), [], 'd');
    expect(narrowed.found.get('m1')?.kind).toBe('cached');
  });

  it('a damaged head or body takes the machine out, saying where', () => {
    const read = readMachineBases(['m1', 'm2'], [scanWith({ head: 'blat-base-1 k1-aaaaaa {not json' }), scanWith({ head: line(h1), body: Buffer.from('no records here') })], online, null, new Set(), ['docs'], 'd');
    expect(read.damaged.get('m1')).toMatch(/its base record d\/head is damaged/);
    expect(read.damaged.get('m2')).toMatch(/its base d\/base-k1-aaaaaa is damaged/);
  });
});
