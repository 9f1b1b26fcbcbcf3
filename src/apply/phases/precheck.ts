// Phase 2 of an apply: every step's precondition looked at again, just before transferring.
import { TRANSFER_TEMP_DIR } from '../../transport/rsync.js';
import { checkPreconditions, collectInvolved } from '../preconditions.js';
import { restatMachines } from '../restat.js';
import { findSendableSubtrees } from '../subtrees.js';
import { buildPruneCutoff } from '../trashRun.js';
import { setProgressTotals } from './progress.js';
import { batchKeyOf, isInterrupted, settleOutcomes, type ApplyState, type Problem } from './state.js';

/**
 * Looks at every step's paths again (one round trip per machine, the folders that may go whole
 * as trees; the temp folder made ready and old trash runs pruned meanwhile), then waits for the
 * planned steps to be journalled. False when interrupted by then (nothing settled). Otherwise
 * fills `state.problems` (the preconditions that no longer hold, then what copy-aside and the
 * moves blocked) and settles them, picks the folders that go whole (`state.wholes`), and sets
 * the progress totals.
 */
export async function applyPrecheck(
  state: ApplyState,
  w: {
    /** The planned steps' journalling, awaited before anything is transferred. */
    readonly journalled: Promise<void>;
    /** Steps under a folder that may go whole: not looked at one by one (see buildWholeCandidates). */
    readonly listedAsTree: ReadonlySet<number>;
    /** Machine → folders listed as trees. */
    readonly trees: ReadonlyMap<string, ReadonlySet<string>>;
    /** What copy-aside and the moves blocked, in that order (a later one wins). */
    readonly blocked: readonly ReadonlyMap<number, Problem>[];
  },
): Promise<boolean> {
  const { req, steps, problems, candidates } = state;
  const { config } = req;
  const involved = collectInvolved(steps.filter((s, i) => !w.listedAsTree.has(i) && s.action !== 'copy-aside' && s.action !== 'move'));
  const restat = await restatMachines(config, req.self, req.sshOptions, involved, { prepareDir: TRANSFER_TEMP_DIR, pruneTrashBefore: buildPruneCutoff(req.now(), config.trash.keepDays), trees: w.trees, sessions: req.sessions, signal: req.signal });
  await w.journalled;
  if (isInterrupted(state)) return false;
  for (const [i, p] of checkPreconditions(steps, restat)) problems.set(i, p);
  for (const more of w.blocked) for (const [i, p] of more) problems.set(i, p);
  for (const c of candidates) {
    const members = c.subtree.members;
    const rootIndex = members.find((i) => steps[i].path === c.subtree.root) as number;
    const rootProblem = problems.get(rootIndex);
    if (rootProblem) {
      // The receiver was only asked about the folder: whatever is wrong with it is wrong for all under it.
      for (const i of members) if (!problems.has(i)) problems.set(i, { status: rootProblem.status, reason: `folder ${c.subtree.root}: ${rootProblem.reason}` });
      continue;
    }
    const fresh = restat.get(c.from);
    if (!fresh || 'unreachable' in fresh || members.some((i) => problems.has(i))) continue;
    if (findSendableSubtrees(steps, [c.subtree], fresh).length === 1) {
      const key = batchKeyOf(c.from, c.to);
      if (!state.wholes.has(key)) state.wholes.set(key, []);
      state.wholes.get(key)!.push(c.subtree);
    }
  }
  await settleOutcomes(state, [...problems].map(([index, p]) => ({ index, step: steps[index], status: p.status, reason: p.reason })));
  setProgressTotals(state);
  return true;
}
