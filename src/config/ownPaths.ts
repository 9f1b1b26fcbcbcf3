// What blat itself writes inside a root, as root-relative paths: never scanned as user data,
// never sent by rsync, and never allowed as (or above) a sync path.
import { relative, sep } from 'node:path';
import type { MachineConfig } from '../types.js';
import { collapseNested, normaliseSyncPath } from './paths.js';

/**
 * Folders blat keeps at the top of every root: `.blat-tmp` (rsync's temporary files and staging
 * folders), `.blat-trash` (versions replaced or removed), `.blat` (blat's own per-machine data).
 */
export const ROOT_OWN_NAMES: readonly string[] = Object.freeze(['.blat', '.blat-tmp', '.blat-trash']);

/**
 * The state folder's path relative to `root` (both absolute paths on this host), or undefined when
 * it does not lie inside; '' when it is the root itself.
 */
export function findStateDirIn(root: string, stateDir: string): string | undefined {
  const rel = relative(root, stateDir);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) return undefined;
  return normaliseSyncPath(rel.split(sep).join('/')) ?? undefined;
}

/**
 * The root-relative paths blat owns, the same on every machine: the fixed root-level folders, and
 * the state folder's path inside each machine's root that contains it (roots read as paths on this
 * host: the config's own machine, a local one, or a machine sharing this layout). Sorted, nested
 * ones dropped; never ''.
 */
export function buildOwnPaths(stateDir: string, machines: readonly MachineConfig[]): string[] {
  const found = machines.map((m) => findStateDirIn(m.root, stateDir)).filter((p): p is string => p !== undefined && p !== '');
  return collapseNested([...ROOT_OWN_NAMES, ...found]);
}
