// A plan keeping the machines' bases its scans brought (a cache: see README "Where the base lives").
import { hostname } from 'node:os';
import { LockError } from '../errors.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import type { Base, Config } from '../types.js';
import { writeBase } from './base.js';
import { readBaseIds, writeBaseIds } from './baseIds.js';
import { acquireLock } from './lock.js';

/**
 * Makes `base` (the controller's copy `copy` with the machines' bases laid over it) the copy, and
 * names the syncs it now holds, when that costs nothing and risks nothing: only under the state
 * folder's lock, taken at once or not at all (an apply at work writes its own), and only when the
 * copy is still the one read before the scan (`have`: bases.json then). Failures are ignored: it
 * only saves the next plan a transfer.
 */
export async function recordMachineBases(config: Config, have: ReadonlyMap<string, string> | null, copy: Base, base: Base, bases: MachineBases): Promise<void> {
  // A copy from before the machines kept their bases seeds the machines without one: the next apply's work.
  if (have === null && [...bases.found].some(([name, f]) => f.kind === 'none' && f.seed && copy.has(name))) return;
  let lock;
  try {
    lock = await acquireLock(config.stateDir, { command: 'blat plan (keeping the machines\' bases)', nowMs: Date.now(), hostname: hostname(), pid: process.pid });
  } catch (error) {
    if (error instanceof LockError) return; // an apply at work: it writes its own
    return; // no state folder to write: nothing kept
  }
  try {
    const now = await readBaseIds(config.stateDir, config.setName);
    if (!sameIds(now, have)) return;
    const ids = new Map(have ?? []);
    for (const [name, f] of bases.found) {
      if (f.kind === 'cached' || f.kind === 'sent') ids.set(name, f.head.id);
      else if (f.kind === 'none') ids.delete(name);
    }
    await writeBase(config.stateDir, base, copy);
    await writeBaseIds(config.stateDir, config.setName, ids);
  } catch {
    // A cache: the next plan asks the machines again.
  } finally {
    await lock.release().catch(() => undefined);
  }
}

function sameIds(a: ReadonlyMap<string, string> | null, b: ReadonlyMap<string, string> | null): boolean {
  if (a === null || b === null) return a === b;
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
