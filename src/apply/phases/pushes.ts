// Phase 4 of an apply: pushes and trash, one batch per target machine, targets in parallel.
import { startRsync } from '../../transport/rsync.js';
import type { StepOutcome } from '../applyTypes.js';
import { groupBy } from '../groupBy.js';
import { runLimited } from '../runLimited.js';
import { machineExcludes } from '../../config/excludes.js';
import { settleCounted } from './progress.js';
import { batchKeyOf, machineOf, type ApplyState } from './state.js';
import { applyTransfer } from './transfer.js';
import { dropWholeSend, startWholeSend } from './transferWhole.js';
import { buildListedRequest, olderThanTarget } from './transferListed.js';
import { applyTrash } from './trash.js';

/** The push targets when nothing is to be pulled first and they are no more than run at once (see startEarlyRsyncs); else none. */
function earlyTargetsOf(state: ApplyState, want: (i: number) => boolean): Set<string> {
  const { req, steps } = state;
  const targets = new Set<string>();
  for (let i = 0; i < steps.length; i++) {
    if (steps[i].action === 'pull') return new Set();
    if (steps[i].action === 'push' && want(i)) targets.add(steps[i].to);
  }
  return targets.size > req.config.concurrency ? new Set() : targets;
}

/**
 * When nothing is to be pulled first, starts each push target's rsync of listed paths (into
 * `state.early`): it connects during the precheck, then waits for its list, written only once the
 * checks are done (see StartedRsync). Not when there are more targets than run at once.
 */
export function startEarlyRsyncs(state: ApplyState): void {
  const { req, steps } = state;
  const mayGoWhole = new Uint8Array(steps.length);
  for (const c of state.candidates) for (const i of c.subtree.members) mayGoWhole[i] = 1;
  for (const to of earlyTargetsOf(state, (i) => mayGoWhole[i] === 0 && !olderThanTarget(steps[i]))) state.early.set(to, startRsync(buildListedRequest(state, req.self, to, 0)));
}

/**
 * When nothing is to be pulled first, begins sending the folders that may go whole from self to
 * each push target made ready for it (`req.ready`: locked, its temp folder made), into staging
 * folders (`state.earlyWholes`), while the journal is written and the precheck looks: only their
 * move into place waits for both (see applyTransferWhole). Not when there are more push targets
 * than run at once.
 */
export function startEarlyWholes(state: ApplyState): void {
  const { req, candidates } = state;
  const { config } = req;
  if (candidates.length === 0 || req.ready === undefined) return;
  const targets = earlyTargetsOf(state, () => true);
  // A receiver that leaves out more than self: the precheck lists self's tree with self's excludes,
  // finds what only the receiver leaves out, and keeps no folder whole there (not sent early).
  const own = new Set(machineExcludes(config, machineOf(state, req.self)));
  const leavesOutNoMore = (to: string) => machineExcludes(config, machineOf(state, to)).every((p) => own.has(p));
  const byKey = groupBy(
    candidates.filter((c) => c.from === req.self && targets.has(c.to) && req.ready!.has(c.to) && leavesOutNoMore(c.to)),
    (c) => batchKeyOf(c.from, c.to),
  );
  for (const [key, list] of byKey) state.earlyWholes.set(key, startWholeSend(state, req.self, list[0].to, list.map((c) => c.subtree)));
}

/** Stops the whole sends begun early that no transfer is to take (`all`: every one left), their staging folders removed. */
export async function dropEarlyWholes(state: ApplyState, all: boolean): Promise<void> {
  const dropped = [...state.earlyWholes].filter(([key]) => all || !state.wholes.has(key));
  for (const [key] of dropped) state.earlyWholes.delete(key);
  await Promise.all(dropped.map(([, send]) => dropWholeSend(state, send)));
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
