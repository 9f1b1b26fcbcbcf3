// Names of the files blat keeps in its state directory, in one place.
import { join } from 'node:path';

/** File names inside the state directory. */
export const STATE_FILE_NAMES = {
  lock: 'lock',
  machineStates: 'state.json',
  base: 'base.json',
  baseChanges: 'base.changes.jsonl',
  journal: 'journal.jsonl',
  owedIndex: 'journal.owed.json',
  seenRecord: 'seen.json',
  seenListing: 'seen.listing',
} as const;

/**
 * Files older versions of blat kept in the state directory and nothing reads any more (the in-sync
 * memo and the synced listing, replaced by the seen lines): removed when the seen record is written.
 */
export const RETIRED_STATE_FILES = ['in-sync.json', 'in-sync.listing', 'synced.json', 'synced.listing'] as const;

/** Path of the apply lock in `stateDir`. */
export function lockPath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAMES.lock);
}

/** Path of the machine state table (state.json) in `stateDir`. */
export function machineStatesPath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAMES.machineStates);
}

/** Path of the base (base.json) in `stateDir`. */
export function basePath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAMES.base);
}

/** Path of the base's change log (base.changes.jsonl) in `stateDir`. */
export function baseChangesPath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAMES.baseChanges);
}

/** Path of the journal (journal.jsonl) in `stateDir`. */
export function journalPath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAMES.journal);
}

/** Path of the owed index (journal.owed.json: what the journal owes, as of its size) in `stateDir`. */
export function owedIndexPath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAMES.owedIndex);
}

/** Paths of the seen record (seen.json) and of the listing it names (seen.listing) in `stateDir`. */
export function seenListingPaths(stateDir: string): { readonly record: string; readonly listing: string } {
  return { record: join(stateDir, STATE_FILE_NAMES.seenRecord), listing: join(stateDir, STATE_FILE_NAMES.seenListing) };
}
