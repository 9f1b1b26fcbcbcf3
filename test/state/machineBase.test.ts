import { describe, expect, it } from 'vitest';
import { parseListing } from '../../src/snapshot/parseScan.js';
import { countBaseFiles, parseBaseHead, renderBaseBody, renderBaseHead, renderBaseRecords, type MachineBaseHead } from '../../src/state/machineBase.js';
import type { Entry } from '../../src/types.js';

const HEAD: MachineBaseHead = {
  id: 'mwz1jmil-33a06c',
  chain: ['mwz0aaaa-000001', 'mwz1jmil-33a06c'],
  rows: 120,
  logRows: 4,
  set: 'set-28a85c0c9d80',
  at: '2026-11-27T13:50:00.000Z',
  by: { host: 'laptop\nwith a newline', pid: 4242 },
  paths: ['docs', 'music'],
  machines: ['a', 'b', 'm1'],
  files: { docs: 3, music: 0 },
};

describe('a machine base head', () => {
  it('is one line that reads back as written, whatever the host is called', () => {
    const line = renderBaseHead(HEAD);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\n\0]/);
    expect(line.startsWith('blat-base-1 mwz0aaaa-000001,mwz1jmil-33a06c {')).toBe(true);
    expect(parseBaseHead(line)).toEqual(HEAD);
    expect(parseBaseHead(line.slice(0, -1))).toEqual(HEAD); // as the shell's `read` gives it
  });

  it('refuses what is not one: another format, a damaged JSON, a bad id, wrong fields', () => {
    const line = renderBaseHead(HEAD);
    expect(parseBaseHead(line.replace('blat-base-1', 'blat-base-2'))).toBeUndefined();
    expect(parseBaseHead(line.slice(0, 60))).toBeUndefined();
    expect(parseBaseHead(line.replace('mwz1jmil-33a06c', '../../etc'))).toBeUndefined();
    expect(parseBaseHead(line.replace('mwz0aaaa-000001,', ','))).toBeUndefined();
    expect(parseBaseHead(line.replace('"pid":4242', '"pid":"4242"'))).toBeUndefined();
    expect(parseBaseHead(line.replace('"docs":3', '"docs":-3'))).toBeUndefined();
    expect(() => renderBaseHead({ ...HEAD, id: 'Not An Id', chain: ['Not An Id'] })).toThrow(/sync id/);
    expect(() => renderBaseHead({ ...HEAD, id: 'mwz0aaaa-000001' })).toThrow(/chain/);
  });
});

describe('a machine base body', () => {
  it('is scan records the scan parser reads back exactly: hostile and non-UTF-8 names, links, modes, fine mtimes', () => {
    const entries = new Map<string, Entry>([
      ['docs', { type: 'dir', mtime: 1700000000, size: 0, mode: 0o755 }],
      ['docs/a b\nc.txt', { type: 'file', mtime: 1700000001.123456, size: 12, mode: 0o644 }],
      ['docs/$(touch x)', { type: 'file', mtime: 1700000002.5, size: 0, mode: 0o600 }],
      ['docs/caf\udce9', { type: 'file', mtime: 1700000003.000001, size: 3, mode: 0o640 }],
      ['docs/link', { type: 'symlink', mtime: 1700000004.25, size: 7, mode: 0o777, target: '../x\ny z' }],
    ]);
    const body = renderBaseBody(entries);
    expect(body.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0]))).toBe(true); // the name's own byte
    const back = parseListing(body).entries;
    expect([...back.keys()].sort()).toEqual([...entries.keys()].sort());
    for (const [path, e] of entries) {
      const got = back.get(path)!;
      expect({ ...got, mtime: 0 }).toEqual({ ...e, mtime: 0 });
      expect(Math.abs(got.mtime - e.mtime)).toBeLessThan(1e-6);
    }
    expect(renderBaseBody(new Map()).length).toBe(0);
  });

  it('a later file of the chain replaces the records it names and removes those it marks gone', () => {
    const first = new Map<string, Entry>([
      ['docs/a', { type: 'file', mtime: 1, size: 1, mode: 0o644 }],
      ['docs/b', { type: 'file', mtime: 1, size: 1, mode: 0o644 }],
    ]);
    const later = new Map<string, Entry>([['docs/a', { type: 'file', mtime: 2, size: 5, mode: 0o600 }], ['docs/c\nd', { type: 'file', mtime: 3, size: 1, mode: 0o644 }]]);
    const chain = Buffer.concat([renderBaseBody(first), renderBaseRecords(later, ['docs/a', 'docs/b', 'docs/c\nd'])]);
    expect(parseListing(chain).entries).toEqual(new Map([['docs/a', later.get('docs/a')], ['docs/c\nd', later.get('docs/c\nd')]]));
  });

  it('counts the files and symlinks inside each sync path', () => {
    const entries = new Map<string, Entry>([
      ['docs', { type: 'dir', mtime: 1, size: 0, mode: 0o755 }],
      ['docs/a', { type: 'file', mtime: 1, size: 1, mode: 0o644 }],
      ['docs/l', { type: 'symlink', mtime: 1, size: 1, mode: 0o777, target: 'a' }],
      ['docs2/b', { type: 'file', mtime: 1, size: 1, mode: 0o644 }],
    ]);
    expect(countBaseFiles(entries, ['docs', 'music'])).toEqual({ docs: 2, music: 0 });
    // A sync path that is a file holds nothing inside: deleting it is a deletion, not an emptied disk.
    expect(countBaseFiles(entries, ['docs2/b'])).toEqual({ 'docs2/b': 0 });
    expect(countBaseFiles(undefined, ['docs'])).toEqual({ docs: 0 });
  });
});
