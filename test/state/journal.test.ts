import { constants as bufferConstants } from 'node:buffer';
import { appendFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlatError } from '../../src/errors.js';
import { buildCompactJournal, buildOwed, compactJournal, KEPT_BEGIN_RECORDS, openJournal, readJournal, readJournalBegins, readOwedJournal } from '../../src/state/journal.js';
import type { Entry, JournalRecord, Step } from '../../src/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry: Entry = { type: 'file', mtime: 1_700_000_000.5, size: 3, mode: 0o644 };
const push = (path: string, to: string): Step => ({ action: 'push', path, from: 'self', to, source: entry, target: null });
const pull = (path: string): Step => ({ action: 'pull', path, from: 'server', to: 'self', source: entry, target: null });

describe('openJournal / readJournal', () => {
  it('reads nothing when there is no journal', async () => {
    expect(await readJournal(join(dir, 'none'))).toEqual({ records: [], problems: [] });
  });

  it('appends one line per record, durable and in call order even when callers do not wait', async () => {
    const stateDir = join(dir, '.blat');
    const journal = await openJournal(stateDir);
    const records: JournalRecord[] = [
      { t: 1, event: 'begin', run: 'r1', command: 'apply', planDigest: 'abc' },
      ...Array.from({ length: 40 }, (_, i): JournalRecord => ({ t: 2 + i, event: 'planned', run: 'r1', step: push(`docs/f${i}\nx "q"`, 'b') })),
      { t: 50, event: 'deferred', run: 'r1', path: '-rf $(x)', machine: 'c', reason: 'offline: timeout' },
      { t: 51, event: 'end', run: 'r1', exitCode: 0 },
    ];
    await Promise.all(records.map((r) => journal.append(r)));
    await journal.close();
    const text = await readFile(join(stateDir, 'journal.jsonl'), 'utf8');
    expect(text.split('\n')).toHaveLength(records.length + 1);
    expect(await readJournal(stateDir)).toEqual({ records, problems: [] });
  });

  it('writes each record as JSON.stringify does, a step shared by several records included', async () => {
    const journal = await openJournal(dir);
    const step = push('docs/"x"\n\udce9', 'b');
    const records: JournalRecord[] = [
      { t: 1, event: 'planned', run: 'r"1', step },
      { t: 2, event: 'done', run: 'r"1', step },
      { t: 3, event: 'failed', run: 'r"1', step, reason: 'rsync: "no"\n' },
      { t: 4, event: 'stale', run: 'r"1', step, reason: '' },
      { t: 5, event: 'settled', run: 'r"1', path: 'docs/x', machine: 'b', reason: 'up to date' },
    ];
    await journal.appendMany(records);
    await journal.close();
    expect(await readFile(join(dir, 'journal.jsonl'), 'utf8')).toBe(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  });

  it('refuses appends after close', async () => {
    const journal = await openJournal(dir);
    await journal.close();
    await expect(journal.append({ t: 1, event: 'end', run: 'r', exitCode: 0 })).rejects.toBeInstanceOf(BlatError);
  });

  it('ignores an incomplete last line (a kill mid-write) and reports it', async () => {
    const file = join(dir, 'journal.jsonl');
    const good: JournalRecord[] = [
      { t: 1, event: 'begin', run: 'r1', command: 'apply', planDigest: 'abc' },
      { t: 2, event: 'planned', run: 'r1', step: push('a', 'b') },
    ];
    await writeFile(file, `${good.map((r) => JSON.stringify(r)).join('\n')}\n{"t":3,"event":"done","run":"r1","st`);
    expect(await readJournal(dir)).toEqual({ records: good, problems: [`${file}:3: incomplete last record ignored`] });
  });

  it('skips and reports a damaged line in the middle', async () => {
    const file = join(dir, 'journal.jsonl');
    const a: JournalRecord = { t: 1, event: 'done', run: 'r1', step: push('a', 'b') };
    const b: JournalRecord = { t: 3, event: 'end', run: 'r1', exitCode: 0 };
    await writeFile(file, `${JSON.stringify(a)}\nnot json\n{"t":2,"event":"exploded","run":"r1"}\n${JSON.stringify(b)}\n`);
    expect(await readJournal(dir)).toEqual({
      records: [a, b],
      problems: [`${file}:2: not a valid journal record, skipped`, `${file}:3: not a valid journal record, skipped`],
    });
  });

  it('starts a fresh line when reopened after a kill mid-write, so the next record is not lost', async () => {
    const file = join(dir, 'journal.jsonl');
    const first: JournalRecord = { t: 1, event: 'planned', run: 'r1', step: push('a', 'b') };
    await writeFile(file, `${JSON.stringify(first)}\n{"t":2,"ev`);
    const journal = await openJournal(dir);
    const next: JournalRecord = { t: 3, event: 'settled', run: 'r2', path: 'a', machine: 'b', reason: 'already up to date' };
    await journal.append(next);
    await journal.close();
    expect(await readJournal(dir)).toEqual({ records: [first, next], problems: [`${file}:2: not a valid journal record, skipped`] });
  });
});

describe('a journal bigger than a string', () => {
  it('is read line by line: a file longer than the longest string node can make still reads', async () => {
    // A record, a hole of NUL bytes longer than V8's longest string (sparse: no disk), another record.
    const file = join(dir, 'journal.jsonl');
    const first: JournalRecord = { t: 1, event: 'planned', run: 'r1', step: push('a', 'b') };
    const last: JournalRecord = { t: 2, event: 'done', run: 'r1', step: push('a', 'b') };
    const handle = await open(file, 'w');
    await handle.write(`${JSON.stringify(first)}\n`);
    await handle.write(`\n${JSON.stringify(last)}\n`, bufferConstants.MAX_STRING_LENGTH + 1024);
    await handle.close();
    expect(await readJournal(dir)).toEqual({ records: [first, last], problems: [`${file}:2: not a valid journal record, skipped`] });
  });

  it('appends and compacts more records than one write takes (10,000)', async () => {
    const journal = await openJournal(dir);
    const records = Array.from({ length: 10_001 }, (_, i): JournalRecord => ({ t: i, event: 'planned', run: 'r1', step: push(`docs/f${i}`, 'b') }));
    await journal.appendMany(records);
    await journal.close();
    expect(await readJournal(dir)).toEqual({ records, problems: [] });
    // A killed apply: every step still owed, so the compaction keeps every record.
    expect(await compactJournal(dir, 0)).not.toBeNull();
    expect(await readJournal(dir)).toEqual({ records, problems: [] });
  });
});

describe('buildOwed', () => {
  it('owes a deferred path until a later done', () => {
    const deferred: JournalRecord = { t: 10, event: 'deferred', run: 'r1', path: 'docs/a', machine: 'b', reason: 'offline: timeout' };
    expect(buildOwed([deferred])).toEqual([{ path: 'docs/a', machine: 'b', since: 10, reason: 'offline: timeout', kind: 'deferred' }]);
    expect(buildOwed([deferred, { t: 20, event: 'done', run: 'r2', step: push('docs/a', 'b') }])).toEqual([]);
    // a done for another machine or path does not settle it
    expect(buildOwed([deferred, { t: 20, event: 'done', run: 'r2', step: push('docs/a', 'c') }])).toHaveLength(1);
    expect(buildOwed([deferred, { t: 20, event: 'done', run: 'r2', step: push('docs/b', 'b') }])).toHaveLength(1);
  });

  it('owes a planned step that has no outcome (a killed apply), but not one that was done', () => {
    const records: JournalRecord[] = [
      { t: 1, event: 'begin', run: 'r1', command: 'apply', planDigest: 'd' },
      { t: 2, event: 'planned', run: 'r1', step: pull('docs/a') },
      { t: 3, event: 'planned', run: 'r1', step: push('docs/a', 'b') },
      { t: 4, event: 'done', run: 'r1', step: pull('docs/a') },
    ];
    expect(buildOwed(records)).toEqual([
      { path: 'docs/a', machine: 'b', since: 3, reason: 'apply stopped before this step finished (run r1)', kind: 'planned' },
    ]);
  });

  it('owes failed and stale steps to their destination with their reason', () => {
    const owed = buildOwed([
      { t: 5, event: 'planned', run: 'r1', step: push('x', 'b') },
      { t: 6, event: 'failed', run: 'r1', step: push('x', 'b'), reason: 'rsync exited 23' },
      { t: 7, event: 'stale', run: 'r1', step: pull('y'), reason: 'source changed since the plan' },
    ]);
    expect(owed).toEqual([
      { path: 'x', machine: 'b', since: 5, reason: 'rsync exited 23', kind: 'failed' },
      { path: 'y', machine: 'self', since: 7, reason: 'source changed since the plan', kind: 'stale' },
    ]);
  });

  it('clears an owed path on settled, and owes it again from a later record', () => {
    const records: JournalRecord[] = [
      { t: 1, event: 'deferred', run: 'r1', path: 'p', machine: 'b', reason: 'offline' },
      { t: 2, event: 'settled', run: 'r2', path: 'p', machine: 'b', reason: 'already up to date' },
    ];
    expect(buildOwed(records)).toEqual([]);
    expect(buildOwed([...records, { t: 3, event: 'deferred', run: 'r3', path: 'p', machine: 'b', reason: 'offline again' }])).toEqual([
      { path: 'p', machine: 'b', since: 3, reason: 'offline again', kind: 'deferred' },
    ]);
  });

  it('keeps the first time it became owed and the latest reason', () => {
    expect(
      buildOwed([
        { t: 1, event: 'deferred', run: 'r1', path: 'p', machine: 'b', reason: 'offline' },
        { t: 2, event: 'planned', run: 'r2', step: push('p', 'b') },
        { t: 3, event: 'failed', run: 'r2', step: push('p', 'b'), reason: 'disk full' },
      ]),
    ).toEqual([{ path: 'p', machine: 'b', since: 1, reason: 'disk full', kind: 'failed' }]);
  });

  it('sorts by machine, then oldest first', () => {
    const deferred = (t: number, path: string, machine: string): JournalRecord => ({ t, event: 'deferred', run: 'r', path, machine, reason: 'offline' });
    const owed = buildOwed([deferred(5, 'z', 'm2'), deferred(9, 'a', 'm1'), deferred(1, 'b', 'm2'), deferred(3, 'c', 'm1')]);
    expect(owed.map((o) => `${o.machine}:${o.path}:${o.since}`)).toEqual(['m1:c:3', 'm1:a:9', 'm2:b:1', 'm2:z:5']);
  });
});

describe('compactJournal', () => {
  it('leaves a small journal alone', async () => {
    await writeFile(join(dir, 'journal.jsonl'), `${JSON.stringify({ t: 1, event: 'end', run: 'r', exitCode: 0 })}\n`);
    expect(await compactJournal(dir, 1024)).toBeNull();
    expect((await readJournal(dir)).records).toHaveLength(1);
  });

  it('rewrites a large journal to the records still needed, with the same owed result', async () => {
    const journal = await openJournal(dir);
    for (let i = 0; i < 200; i++) {
      await journal.append({ t: i * 2, event: 'planned', run: 'r1', step: push(`f${i}`, 'b') });
      if (i % 50 !== 7) await journal.append({ t: i * 2 + 1, event: 'done', run: 'r1', step: push(`f${i}`, 'b') });
    }
    await journal.append({ t: 1000, event: 'deferred', run: 'r1', path: 'late', machine: 'c', reason: 'offline' });
    await journal.close();
    const before = buildOwed((await readJournal(dir)).records);
    expect(before.map((o) => o.path)).toEqual(['f7', 'f57', 'f107', 'f157', 'late']);
    expect(await compactJournal(dir, 100)).toEqual(before);
    const after = await readJournal(dir);
    expect(after.problems).toEqual([]);
    expect(after.records).toHaveLength(5);
    expect(buildOwed(after.records)).toEqual(before);
    await appendFile(join(dir, 'journal.jsonl'), ''); // still a plain appendable file
    expect((await readFile(join(dir, 'journal.jsonl'), 'utf8')).endsWith('\n')).toBe(true);
  });

  it('with nothing owed (the owed index says so), keeps the same begin records, the journal read for them alone', async () => {
    const lines: string[] = [];
    for (let i = 0; i < KEPT_BEGIN_RECORDS + 5; i++) {
      lines.push(JSON.stringify({ t: i, event: 'begin', run: `r${i}`, command: 'apply', planDigest: `d${i}` }));
      lines.push(JSON.stringify({ t: i, event: 'planned', run: `r${i}`, step: push(`f${i} "event":"begin"`, 'b') }));
      lines.push(JSON.stringify({ t: i, event: 'done', run: `r${i}`, step: push(`f${i} "event":"begin"`, 'b') }));
    }
    const text = `${lines.join('\n')}\nnot json\n`;
    await writeFile(join(dir, 'journal.jsonl'), text);
    expect(await compactJournal(dir, 100, false)).toEqual([]);
    const full = await readFile(join(dir, 'journal.jsonl'), 'utf8');
    await writeFile(join(dir, 'journal.jsonl'), text);
    expect(await compactJournal(dir, 100, true)).toEqual([]);
    expect(await readFile(join(dir, 'journal.jsonl'), 'utf8')).toBe(full);
    expect((await readJournal(dir)).records).toHaveLength(KEPT_BEGIN_RECORDS);
  });

  it('read without keeping its records: the same owed items and problems as a whole read, and the same compaction', async () => {
    const lines: string[] = [];
    for (let i = 0; i < KEPT_BEGIN_RECORDS + 40; i++) {
      lines.push(JSON.stringify({ t: i, event: 'begin', run: `r${i}`, command: 'apply', planDigest: `d${i}` }));
      lines.push(JSON.stringify({ t: i, event: 'planned', run: `r${i}`, step: push(`f${i % 30}`, i % 2 ? 'b' : 'c') }));
      if (i % 7 !== 3) lines.push(JSON.stringify({ t: i, event: 'done', run: `r${i}`, step: push(`f${i % 30}`, i % 2 ? 'b' : 'c') }));
      if (i % 11 === 0) lines.push(JSON.stringify({ t: i, event: 'failed', run: `r${i}`, step: pull(`p${i}`), reason: 'gone' }));
      if (i % 13 === 0) lines.push('{"damaged');
    }
    const text = `${lines.join('\n')}\n{"cut`;
    await writeFile(join(dir, 'journal.jsonl'), text);
    const whole = await readJournal(dir);
    const owed = buildOwed(whole.records);
    expect(owed.length).toBeGreaterThan(10);
    const streamed = await readOwedJournal(dir);
    expect(streamed.owed).toEqual(owed);
    expect(streamed.problems).toEqual(whole.problems);
    expect(streamed.problems.length).toBeGreaterThan(5);
    expect(await readJournalBegins(dir)).toEqual(whole.records.filter((r) => r.event === 'begin'));
    // The compaction parses again only the lines it keeps: the same records as the whole read's.
    expect(await compactJournal(dir, 0)).toEqual(owed);
    expect((await readJournal(dir)).records).toEqual(buildCompactJournal(whole.records));
    expect(buildOwed(buildCompactJournal(whole.records))).toEqual(owed);
    expect((await readJournal(dir)).problems).toEqual([]);
  });

  it('keeps the latest begin records (what shows a saved plan was applied), however many runs were journaled', async () => {
    const lines: string[] = [];
    for (let i = 0; i < KEPT_BEGIN_RECORDS + 5; i++) {
      lines.push(JSON.stringify({ t: i, event: 'begin', run: `r${i}`, command: 'apply', planDigest: `d${i}` }));
      lines.push(JSON.stringify({ t: i, event: 'done', run: `r${i}`, step: push(`f${i}`, 'b') }));
    }
    await writeFile(join(dir, 'journal.jsonl'), `${lines.join('\n')}\n`);
    expect(await compactJournal(dir, 100)).toEqual([]);
    const { records } = await readJournal(dir);
    expect(records.every((r) => r.event === 'begin')).toBe(true);
    expect(records).toHaveLength(KEPT_BEGIN_RECORDS);
    expect(records[0]).toMatchObject({ run: 'r5', planDigest: 'd5' });
    expect(records.at(-1)).toMatchObject({ run: `r${KEPT_BEGIN_RECORDS + 4}` });
  });
});

describe('buildOwed with moves', () => {
  const entry: Entry = { type: 'dir', mtime: 1, size: 0, mode: 0o755 };
  const move: Step = { action: 'move', path: 'docs/pics', was: 'docs/album', from: 'a', to: 'b', source: entry, target: null };
  it('owes a move not done at its new and its old path (so a resume scans both), and a done move settles both', () => {
    const planned: JournalRecord = { t: 10, event: 'planned', run: 'r', step: move };
    const failed: JournalRecord = { t: 11, event: 'failed', run: 'r', step: move, reason: 'could not move' };
    expect(buildOwed([planned, failed]).map((o) => `${o.machine} ${o.path} ${o.kind}`)).toEqual(['b docs/album failed', 'b docs/pics failed']);
    expect(buildOwed([planned, failed, { t: 12, event: 'done', run: 's', step: move }])).toEqual([]);
  });
});
