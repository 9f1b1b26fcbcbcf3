// What the journal owes, kept beside it (journal.owed.json) as of the journal's size and time,
// so that an apply knows it without reading a journal of megabytes. A cache: when it does not
// match the journal (another writer, a killed run, a compaction), the journal is read instead.
import { readFile, stat } from 'node:fs/promises';
import type { JournalRecord } from '../types.js';
import { writeFileAtomic } from './atomicWrite.js';
import { isRecord } from './fsErrors.js';
import { advanceOwed, readOwedJournal, type OwedItem } from './journal.js';
import { journalPath, owedIndexPath } from './paths.js';

/** The journal file's identity and size now; null when there is none. */
async function readJournalStamp(stateDir: string): Promise<string | null> {
  const st = await stat(journalPath(stateDir)).catch(() => null);
  return st === null ? null : `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** What the journal owes now by its index ([] when there is no journal); null when no index matches the journal. */
export async function readOwedIndex(stateDir: string): Promise<OwedItem[] | null> {
  const stamp = await readJournalStamp(stateDir);
  if (stamp === null) return [];
  const index = await readFile(owedIndexPath(stateDir), 'utf8').then((t) => JSON.parse(t) as unknown, () => null);
  return isRecord(index) && index.stamp === stamp && Array.isArray(index.owed) ? (index.owed as OwedItem[]) : null;
}

/** What the journal owes now: from the index when it matches the journal, else read from the journal. */
export async function readOwedNow(stateDir: string): Promise<OwedItem[]> {
  return (await readOwedIndex(stateDir)) ?? (await readOwedJournal(stateDir)).owed;
}

/**
 * Records what the journal owes now: `before` (as readOwedNow gave it) advanced by the records
 * appended since (`appended`). Call it with the journal closed. A failure only costs the next
 * apply a read of the journal.
 */
export async function writeOwedIndex(stateDir: string, before: readonly OwedItem[], appended: readonly JournalRecord[]): Promise<void> {
  const stamp = await readJournalStamp(stateDir);
  if (stamp === null) return;
  const owed = advanceOwed(before, appended);
  try {
    // JSON.stringify throws too when what a killed apply of millions of steps owes is more than a string holds.
    await writeFileAtomic(owedIndexPath(stateDir), `${JSON.stringify({ stamp, owed })}\n`, { durable: false });
  } catch {
    // No index: the next apply reads the journal.
  }
}
