import { describe, expect, it } from 'vitest';
import { JournalParser, MAX_JOURNAL_LINE_BYTES } from '../../src/state/journalParser.js';
import type { Entry, JournalRecord } from '../../src/types.js';

const entry: Entry = { type: 'file', mtime: 1_700_000_000.5, size: 3, mode: 0o644 };
const planned = (t: number, path: string): JournalRecord => ({ t, event: 'planned', run: 'r1', step: { action: 'push', path, from: 'self', to: 'b', source: entry, target: null } });

/** The parser's answer for `bytes` fed in chunks of `size` bytes, one buffer reused as a reader does. */
function parseInChunks(bytes: Buffer, size: number): { records: JournalRecord[]; problems: string[] } {
  const parser = new JournalParser('J');
  const chunk = Buffer.alloc(size);
  for (let at = 0; at < bytes.length; at += size) {
    const n = bytes.copy(chunk, 0, at, Math.min(at + size, bytes.length));
    parser.push(chunk.subarray(0, n));
  }
  return parser.finish();
}

describe('JournalParser', () => {
  const records = [planned(1, 'docs/café ✓ 𝄞'), planned(2, 'docs/new\nline'), { t: 3, event: 'end', run: 'r1', exitCode: 0 } as JournalRecord];
  const text = `${JSON.stringify(records[0])}\n\n${JSON.stringify(records[1])}\nnot json\n${JSON.stringify(records[2])}\n{"t":4,"ev`;
  const expected = {
    records,
    problems: ['J:4: not a valid journal record, skipped', 'J:6: incomplete last record ignored'],
  };

  it('reads the same records and problems however the bytes are cut into chunks (inside a character too)', () => {
    const bytes = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 5, 7, 64, bytes.length]) expect(parseInChunks(bytes, size), `chunks of ${size}`).toEqual(expected);
  });

  it('takes a journal that ends with a newline as complete, and an empty one as nothing', () => {
    expect(parseInChunks(Buffer.from(`${JSON.stringify(records[0])}\n`), 4)).toEqual({ records: [records[0]], problems: [] });
    expect(new JournalParser('J').finish()).toEqual({ records: [], problems: [] });
  });

  it('reads only the lines holding the bytes asked for, counting every line', () => {
    const begin: JournalRecord = { t: 0, event: 'begin', run: 'r1', command: 'apply', planDigest: 'd' };
    const bytes = Buffer.from(`${JSON.stringify(begin)}\n${text}\n{"event":"begin" damaged\n`, 'utf8');
    const parser = new JournalParser('J', Buffer.from('"event":"begin"'));
    parser.push(bytes);
    expect(parser.finish()).toEqual({ records: [begin], problems: ['J:8: not a valid journal record, skipped'] });
  });

  it('skips a line longer than any record without keeping it whole, and reads on', () => {
    const parser = new JournalParser('J');
    parser.push(Buffer.from(`${JSON.stringify(records[0])}\n`));
    const junk = Buffer.alloc(1024 * 1024, 'x');
    for (let sent = 0; sent <= MAX_JOURNAL_LINE_BYTES; sent += junk.length) parser.push(junk);
    parser.push(Buffer.from(`\n${JSON.stringify(records[2])}\n`));
    // The same, cut short at the end: an incomplete last line.
    for (let sent = 0; sent <= MAX_JOURNAL_LINE_BYTES; sent += junk.length) parser.push(junk);
    expect(parser.finish()).toEqual({ records: [records[0], records[2]], problems: ['J:2: not a valid journal record, skipped', 'J:4: incomplete last record ignored'] });
  });
});
