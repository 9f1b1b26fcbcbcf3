// An apply's steps carried out: the phases (phases/) run in order over one shared state (phases/state.ts).
import type { JournalRecord } from '../types.js';
import type { ApplyRequest, StepOutcome } from './applyTypes.js';
import { applyCopyAside } from './phases/copyAside.js';
import { applyMoves } from './phases/moves.js';
import { applyPrecheck } from './phases/precheck.js';
import { applyPulls } from './phases/pulls.js';
import { applyPushesAndTrash, dropEarlyWholes, startEarlyRsyncs, startEarlyWholes } from './phases/pushes.js';
import { isInterrupted, knownOutcomes, settleInterrupted, type ApplyState } from './phases/state.js';
import { buildWholeCandidates } from './phases/wholeCandidates.js';

export type { ApplyProgress, ApplyRequest, MachineProgress, StepOutcome, StepStatus } from './applyTypes.js';

/**
 * Carries out the plan's steps: journal them as planned, re-check every precondition (one
 * round trip per machine), pull (one rsync per source), then push and trash (one batch per
 * target, targets in parallel), looking at the results, journalling each outcome durably
 * as it happens. Folders new on a receiver go whole when their source is exactly as planned
 * (see applyTransferWhole); pushed to a ready machine, they begin going into staging folders
 * before the journal and the precheck (see startEarlyWholes), placed only after both. Failures
 * are returned as data; only journal I/O errors throw. A machine silent for
 * `config.stallTimeout` seconds fails its steps as stalled; an aborted `req.signal` ends the
 * apply early, every step not done failed as "interrupted" (and journalled so).
 */
export async function applySteps(req: ApplyRequest): Promise<StepOutcome[]> {
  const { plan, journal } = req;
  const steps = plan.steps;
  const t = req.now;

  const { candidates, listedAsTree, trees } = buildWholeCandidates(req.config, steps);
  const state: ApplyState = {
    req,
    steps,
    outcomes: new Array<StepOutcome | undefined>(steps.length),
    problems: new Map(),
    candidates,
    wholes: new Map(),
    early: new Map(),
    earlyWholes: new Map(),
    progress: { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 },
    totalsKnown: false,
    perMachine: new Map(),
    inFlight: new Map(),
    stagings: 0,
  };
  // Folders new on a ready push target begin going whole into staging folders now (see startEarlyWholes).
  startEarlyWholes(state);

  // Written (and fsynced) while the preconditions are looked at; awaited before anything is placed or transferred outside a staging folder.
  const journalled = journal.appendMany([
    ...steps.map((step): JournalRecord => ({ t: t(), event: 'planned', run: req.run, step })),
    ...plan.deferred.map((d): JournalRecord => ({ t: t(), event: 'deferred', run: req.run, path: d.path, machine: d.machine, reason: d.reason })),
  ]);
  journalled.catch(() => undefined); // its failure is thrown where it is awaited

  if (steps.length === 0) {
    await journalled;
    return [];
  }

  // Meanwhile the push targets' rsyncs may connect (see startEarlyRsyncs); stopped at the end if never sent a list.
  startEarlyRsyncs(state);
  try {
    // 0. Versions kept aside (--keep-both), before anything is looked at: their copies are the
    //    sources of the transfers that spread them. A path whose copy was not made is left alone.
    const asideProblems = await applyCopyAside(state);
    // 1. The moves (before anything is looked at or sent: what is sent into a moved folder needs it there).
    const moveProblems = isInterrupted(state) ? new Map() : await applyMoves(state, asideProblems);
    // 2. Preconditions, just before transferring; what no longer holds is settled, not carried out.
    if (!(await applyPrecheck(state, { journalled, listedAsTree, trees, blocked: [asideProblems, moveProblems] }))) return await settleInterrupted(state);
    // Whole sends begun early of which the precheck kept nothing stop now.
    await dropEarlyWholes(state, false);
    // 3. Pulls, then 4. pushes and trash.
    await applyPulls(state);
    await applyPushesAndTrash(state);
    if (isInterrupted(state)) return await settleInterrupted(state);
    return knownOutcomes(state);
  } finally {
    await Promise.all([...state.early.values()].map((rsync) => rsync.cancel()));
    await dropEarlyWholes(state, true);
  }
}
