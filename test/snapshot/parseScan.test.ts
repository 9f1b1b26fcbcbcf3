import { describe, expect, it } from 'vitest';
import { ScanParser } from '../../src/snapshot/parseScan.js';

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

describe('ScanParser', () => {
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
});
