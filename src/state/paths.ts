// Names of the files blat keeps in its state directory, in one place.
import { join } from 'node:path';

/** File names inside the state directory. */
export const STATE_FILE_NAMES = {
  lock: 'lock',
  machineStates: 'state.json',
  base: 'base.json',
  journal: 'journal.jsonl',
} as const;

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

/** Path of the journal (journal.jsonl) in `stateDir`. */
export function journalPath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAMES.journal);
}
