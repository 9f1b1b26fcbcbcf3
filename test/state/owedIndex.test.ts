import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../src/state/journal.js';
import { readOwedIndex, readOwedNow, writeOwedIndex } from '../../src/state/owedIndex.js';
import type { JournalRecord } from '../../src/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-owed-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const deferred = (path: string, t: number): JournalRecord => ({ t, event: 'deferred', run: 'r1', path, machine: 'm2', reason: 'm2 offline' });
const settled = (path: string, t: number): JournalRecord => ({ t, event: 'settled', run: 'r2', path, machine: 'm2', reason: 'in sync' });

async function append(records: readonly JournalRecord[]): Promise<void> {
  const journal = await openJournal(dir);
  await journal.appendMany(records);
  await journal.close();
}

describe('the owed index', () => {
  it('owes nothing without a journal', async () => {
    expect(await readOwedNow(dir)).toEqual([]);
  });

  it('answers from the index while it matches the journal, and from the journal once another writer changed it', async () => {
    await append([deferred('docs/a', 1), deferred('docs/b', 2)]);
    const before = await readOwedNow(dir); // read from the journal: no index yet
    expect(before.map((o) => o.path)).toEqual(['docs/a', 'docs/b']);

    const run = [settled('docs/a', 3)];
    await append(run);
    await writeOwedIndex(dir, before, run);
    expect((await readOwedNow(dir)).map((o) => o.path)).toEqual(['docs/b']);

    // Appended without the index knowing (a resume, a killed run): the journal is read again.
    await append([settled('docs/b', 4), deferred('docs/c', 5)]);
    expect((await readOwedNow(dir)).map((o) => o.path)).toEqual(['docs/c']);
  });

  it('is read alone by readOwedIndex: null when it does not match the journal, or there is none', async () => {
    expect(await readOwedIndex(dir)).toEqual([]); // no journal: nothing owed
    await append([deferred('docs/a', 1)]);
    expect(await readOwedIndex(dir)).toBeNull();
    const before = await readOwedNow(dir);
    await append([settled('docs/a', 2)]);
    await writeOwedIndex(dir, before, [settled('docs/a', 2)]);
    expect(await readOwedIndex(dir)).toEqual([]);
    await append([deferred('docs/b', 3)]);
    expect(await readOwedIndex(dir)).toBeNull();
  });

  it('is trusted only for the journal it was written for (an index written with a wrong view is used until the journal changes)', async () => {
    await append([deferred('docs/a', 1)]);
    await writeOwedIndex(dir, [], []); // claims nothing is owed, for this exact journal
    expect(await readOwedNow(dir)).toEqual([]);
    await append([deferred('docs/b', 2)]);
    expect((await readOwedNow(dir)).map((o) => o.path)).toEqual(['docs/a', 'docs/b']);
  });
});
