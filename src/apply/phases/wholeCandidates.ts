// Which folders new on a receiver may go whole (decided from the plan alone, before anything is looked at).
import type { Config, Step } from '../../types.js';
import { findNewSubtrees, WHOLE_SUBTREES_MIN } from '../subtrees.js';
import type { WholeCandidate } from './state.js';

/**
 * The folders new on a receiver, with enough under them, that may go whole: their source is
 * listed as a tree by the precheck instead of path by path (`trees`: machine → folders), and the
 * receiver is asked for the folder only (`listedAsTree`: the steps under such a folder, not
 * looked at one by one). None into a receiver where a rename loses the mtime, nor one whose
 * parent another batch creates (it waits for nothing: it goes path by path).
 */
export function buildWholeCandidates(
  config: Config,
  steps: readonly Step[],
): { readonly candidates: WholeCandidate[]; readonly listedAsTree: Set<number>; readonly trees: Map<string, Set<string>> } {
  const pulled = new Set<string>();
  for (const s of steps) if (s.action === 'pull') pulled.add(s.path);
  // The batches (one source, one receiver), their steps in the plan's order; by source, then receiver.
  const batches = new Map<string, Map<string, number[]>>();
  // A folder whose parent another batch creates (pulls from two machines into a new folder here)
  // waits for nothing: it goes path by path. Receiver → the folders steps create there.
  const created = new Map<string, Set<string>>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.source?.type === 'dir' && s.target === null) {
      let made = created.get(s.to);
      if (made === undefined) created.set(s.to, (made = new Set()));
      made.add(s.path);
    }
    if (s.action === 'trash' || s.action === 'copy-aside' || s.action === 'move' || (s.action === 'push' && pulled.has(s.path))) continue;
    let byTo = batches.get(s.from);
    if (byTo === undefined) batches.set(s.from, (byTo = new Map()));
    const idx = byTo.get(s.to);
    if (idx === undefined) byTo.set(s.to, [i]);
    else idx.push(i);
  }
  const parentCreated = (to: string, path: string) => path.includes('/') && created.get(to)?.has(path.slice(0, path.lastIndexOf('/'))) === true;
  const candidates: WholeCandidate[] = [];
  for (const [from, byTo] of batches) {
    for (const [to, idx] of byTo) {
      // A receiver where a rename loses the mtime (fusefat; probed): path by path, after which rsync sets the times again.
      if (config.machines.find((m) => m.name === to)?.renameKeepsMtime === false) continue;
      const found = findNewSubtrees(steps, idx).filter((t) => !parentCreated(to, t.root));
      if (found.reduce((n, t) => n + t.members.length, 0) < WHOLE_SUBTREES_MIN) continue;
      for (const subtree of found) candidates.push({ from, to, subtree });
    }
  }
  const listedAsTree = new Set<number>();
  const trees = new Map<string, Set<string>>();
  for (const c of candidates) {
    for (const i of c.subtree.members) if (steps[i].path !== c.subtree.root) listedAsTree.add(i);
    if (!trees.has(c.from)) trees.set(c.from, new Set());
    trees.get(c.from)!.add(c.subtree.root);
  }
  return { candidates, listedAsTree, trees };
}
