// Folders new on a receiver, sent whole: one recursive rsync instead of one listed path per entry.
import type { Entry, Step } from '../types.js';
import { sameEntry } from './preconditions.js';

/** A folder absent on the receiver, its step and the steps of everything under it (indexes). */
export interface NewSubtree {
  readonly root: string;
  /** Step indexes: the root's and every step under it, all with the receiver absent. */
  readonly members: readonly number[];
}

/** Below this many steps in folders new on the receiver, a batch goes path by path (no staging round trip). */
export const WHOLE_SUBTREES_MIN = 64;

/**
 * The top-most folders of a batch (steps from one machine to another) that are absent on the
 * receiver, each with every step under it. Pure; the caller checks the source before sending.
 */
export function findNewSubtrees(steps: readonly Step[], indexes: readonly number[]): NewSubtree[] {
  const folders = new Set<string>();
  for (const i of indexes) if (steps[i].source?.type === 'dir' && steps[i].target === null) folders.add(steps[i].path);
  const topOf = (path: string): string | undefined => {
    for (let k = path.indexOf('/'); k !== -1; k = path.indexOf('/', k + 1)) if (folders.has(path.slice(0, k))) return path.slice(0, k);
    return folders.has(path) ? path : undefined;
  };
  const members = new Map<string, number[]>();
  const spoilt = new Set<string>();
  for (const i of indexes) {
    const root = topOf(steps[i].path);
    if (root === undefined) continue;
    if (steps[i].target !== null) spoilt.add(root); // cannot be: the root is absent there
    const list = members.get(root);
    if (list) list.push(i);
    else members.set(root, [i]);
  }
  return [...members].filter(([root]) => !spoilt.has(root)).map(([root, list]) => ({ root, members: list }));
}

/**
 * The subtrees whose source holds exactly what their steps expect: every entry under the root
 * (as freshly listed, excludes left out) has a step with that very entry, and nothing more.
 */
export function findSendableSubtrees(steps: readonly Step[], subtrees: readonly NewSubtree[], fresh: ReadonlyMap<string, Entry>): NewSubtree[] {
  const count = new Map<string, number>(subtrees.map((t) => [t.root, 0]));
  for (const path of fresh.keys()) {
    if (count.has(path)) count.set(path, count.get(path)! + 1);
    for (let k = path.indexOf('/'); k !== -1; k = path.indexOf('/', k + 1)) {
      const n = count.get(path.slice(0, k));
      if (n !== undefined) {
        count.set(path.slice(0, k), n + 1);
        break; // roots are never nested
      }
    }
  }
  return subtrees.filter((t) => count.get(t.root) === t.members.length && t.members.every((i) => sameEntry(fresh.get(steps[i].path), steps[i].source)));
}
