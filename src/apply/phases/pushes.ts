// Phase 4 of an apply: pushes and trash, one batch per target machine, targets in parallel.
import { startRsync } from '../../transport/rsync.js';
import type { StepOutcome } from '../applyTypes.js';
import { groupBy } from '../groupBy.js';
import { runLimited } from '../runLimited.js';
import { settleCounted } from './progress.js';
import type { ApplyState } from './state.js';
import { applyTransfer } from './transfer.js';
import { buildListedRequest, olderThanTarget } from './transferListed.js';
import { applyTrash } from './trash.js';

/**
 * When nothing is to be pulled first, starts each push target's rsync of listed paths (into
 * `state.early`): it connects during the precheck, then waits for its list, written only once the
 * checks are done (see StartedRsync). Not when there are more targets than run at once.
 */
export function startEarlyRsyncs(state: ApplyState): void {
  const { req, steps } = state;
  const mayGoWhole = new Set(state.candidates.flatMap((c) => c.subtree.members));
  const pushTargets = new Set(steps.flatMap((s, i) => (s.action === 'push' && !olderThanTarget(s) && !mayGoWhole.has(i) ? [s.to] : [])));
  if (steps.some((s) => s.action === 'pull') || pushTargets.size > req.config.concurrency) return;
  for (const to of pushTargets) state.early.set(to, startRsync(buildListedRequest(state, req.self, to, 0)));
}

/**
 * Carries out the pushes and trash steps without a problem, one batch per target machine
 * (pushes, then trash), targets in parallel. A push whose pull did not happen is not carried out.
 */
export async function applyPushesAndTrash(state: ApplyState): Promise<void> {
  const { req, steps, problems } = state;
  const pullOutcome = new Map<string, StepOutcome>();
  for (const o of state.outcomes) if (o && o.step.action === 'pull') pullOutcome.set(o.step.path, o);
  const blocked: StepOutcome[] = [];
  const later = steps.flatMap((s, i) => {
    if (s.action === 'pull' || s.action === 'copy-aside' || s.action === 'move' || problems.has(i)) return [];
    const pulled = pullOutcome.get(s.path);
    if (pulled && pulled.status !== 'done') {
      blocked.push({ index: i, step: s, status: pulled.status, reason: `not pushed: the pull of this path from ${pulled.step.from} was ${pulled.status}` });
      return [];
    }
    return [i];
  });
  if (blocked.length) await settleCounted(state, blocked, req.self);
  const byTarget = groupBy(later, (i) => steps[i].to);
  await runLimited([...byTarget], req.config.concurrency, async ([to, idx]) => {
    await applyTransfer(state, req.self, to, idx.filter((i) => steps[i].action === 'push'));
    await applyTrash(state, to, idx.filter((i) => steps[i].action === 'trash'));
  });
}
