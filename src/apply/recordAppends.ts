// A journal writer that also keeps what it appended (to bring the owed index up to date).
import type { JournalRecord } from '../types.js';
import type { JournalWriter } from '../state/journal.js';

/** The journal writer, keeping a copy of every record appended in `into`. */
export function recordAppends(journal: JournalWriter, into: JournalRecord[]): JournalWriter {
  return {
    file: journal.file,
    append: (record) => {
      into.push(record);
      return journal.append(record);
    },
    appendMany: (records) => {
      for (const record of records) into.push(record); // not push(...): 100,000s of records
      return journal.appendMany(records);
    },
    close: () => journal.close(),
  };
}
