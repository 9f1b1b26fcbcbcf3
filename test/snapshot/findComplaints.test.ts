import { describe, expect, it } from 'vitest';
import { mergeUnreadable, parseFindComplaint, readFindComplaints } from '../../src/snapshot/findComplaints.js';

describe('parseFindComplaint', () => {
  it.each([
    ["find: './docs/p': Permission denied", { kind: 'unreadable', path: 'docs/p', reason: 'permission denied' }],
    // GNU find in the C locale: backslash escapes and octal bytes (here é in UTF-8, and a lone 0xff byte).
    ["find: './docs/it\\'s\\nnew\\303\\251\\377': Input/output error", { kind: 'unreadable', path: "docs/it's\nnewé\udcff", reason: 'input/output error' }],
    ['find: ./docs/p q: Permission denied', { kind: 'unreadable', path: 'docs/p q', reason: 'permission denied' }], // BSD: no quotes
    ["find: './gone': No such file or directory", { kind: 'gone' }],
    ['find: ./gone: No such file or directory', { kind: 'gone' }],
    ["find: 'docs': Permission denied", { kind: 'unknown', reason: 'Permission denied' }], // not one of ours
    ["find: './a/../b': Permission denied", { kind: 'unknown', reason: 'Permission denied' }],
    ["find: './a' 'b': Permission denied", { kind: 'unknown', reason: 'Permission denied' }], // a bare quote inside
    ['find: fts_read: Cannot allocate memory', { kind: 'unknown', reason: 'fts_read: Cannot allocate memory' }],
    ['perl: warning: Setting locale failed.', { kind: 'other' }],
    ['find: warning: you have specified the global option -maxdepth after the argument -type', { kind: 'other' }],
  ])('%j', (line, expected) => {
    expect(parseFindComplaint(line)).toEqual(expected);
  });
});

describe('readFindComplaints', () => {
  it('puts a complaint it cannot place on every scanned path, and keeps the lines that are not find\'s', () => {
    const r = readFindComplaints(['find: fts_read: Input/output error', 'xargs: oops', "find: './gone': No such file or directory"], ['docs', 'notes']);
    expect(r.unreadable).toEqual([
      { path: 'docs', reason: 'find: fts_read: Input/output error' },
      { path: 'notes', reason: 'find: fts_read: Input/output error' },
    ]);
    expect(r.other).toEqual(['xargs: oops']);
  });
});

describe('mergeUnreadable', () => {
  it('keeps the outermost folders, each once, with its first reason', () => {
    expect(
      mergeUnreadable([{ path: 'docs/a/b', reason: 'x' }, { path: 'docs/a', reason: 'first' }], [{ path: 'docs/a', reason: 'second' }, { path: 'docs/ab', reason: 'y' }]),
    ).toEqual([
      { path: 'docs/a', reason: 'first' },
      { path: 'docs/ab', reason: 'y' },
    ]);
  });
});
