// bases.json: which sync's base of each machine the controller's copy (base.json) holds.
//   { "format": 1, "set": NAME, "ids": { machine: sync id } }
// Written after base.json: a kill between the two leaves older ids, and the machines then send
// their bodies again (never a copy taken for a base it is not).
import { join } from 'node:path';
import { writeFileAtomic } from './atomicWrite.js';
import { isRecord, parseJsonFile, readTextIfExists } from './fsErrors.js';
import { SYNC_ID } from './machineBase.js';

/** Path of bases.json in `stateDir`. */
export function baseIdsPath(stateDir: string): string {
  return join(stateDir, 'bases.json');
}

/**
 * The ids of the machines' bases the controller's copy holds, for set `set`; null when there is
 * no record (a state folder from before bases lived on the machines, or of another set, or a
 * damaged file: the machines then send their bases).
 */
export async function readBaseIds(stateDir: string, set: string): Promise<Map<string, string> | null> {
  const file = baseIdsPath(stateDir);
  const text = await readTextIfExists(file).catch(() => undefined);
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = parseJsonFile(file, text);
  } catch {
    return null;
  }
  if (!isRecord(value) || value.format !== 1 || value.set !== set || !isRecord(value.ids)) return null;
  const ids = new Map<string, string>();
  for (const [name, id] of Object.entries(value.ids)) if (typeof id === 'string' && SYNC_ID.test(id)) ids.set(name, id);
  return ids;
}

/** Records `ids` as those of the controller's copy of the bases (after base.json was written). */
export async function writeBaseIds(stateDir: string, set: string, ids: ReadonlyMap<string, string>): Promise<void> {
  await writeFileAtomic(baseIdsPath(stateDir), `${JSON.stringify({ format: 1, set, ids: Object.fromEntries(ids) })}\n`);
}
