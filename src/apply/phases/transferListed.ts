// Paths sent one by one in a list: rsync (split by whether --update may guard it), then a look at the result.
import { isMachineGone, runRsync, type RsyncRequest } from '../../transport/rsync.js';
import { openScriptSession, type ScriptSession } from '../../transport/runScript.js';
import { buildRsyncEndpoint } from '../../transport/targets.js';
import type { Step } from '../../types.js';
import type { StepOutcome } from '../applyTypes.js';
import { TRASH_DIR } from '../trashRun.js';
import { applyGiveBackSaves, readVerifiedOutcomes } from './look.js';
import { reportProgress, settleCounted } from './progress.js';
import { machineOf, runLimitsOf, scriptTargetOf, type ApplyState } from './state.js';

/** True when the step deliberately replaces a newer target (a conflict resolved by --prefer). */
export function olderThanTarget(step: Step): boolean {
  return step.source?.type === 'file' && step.target?.type === 'file' && step.source.mtime < step.target.mtime;
}

/** The rsync of one listed group of a batch (group 0: guarded by --update), list aside. */
export function buildListedRequest(state: ApplyState, from: string, to: string, group: number): Omit<RsyncRequest, 'paths'> {
  const { req } = state;
  return {
    from: buildRsyncEndpoint(machineOf(state, from), req.self),
    to: buildRsyncEndpoint(machineOf(state, to), req.self),
    sshOptions: req.sshOptions,
    ...runLimitsOf(state),
    update: group === 0,
    backupDir: `${TRASH_DIR}/${req.trashStamp}`,
    onBytes: (bytes) => {
      state.inFlight.set(`${from}>${to}#${group}`, bytes);
      reportProgress(state, to);
    },
  };
}

/** Listed paths from `from` to `to`: rsync, then a look at the result (its shell started with the transfer); settles their steps. */
export async function applyTransferListed(state: ApplyState, from: string, to: string, indexes: readonly number[]): Promise<void> {
  if (indexes.length === 0) return;
  // The shell for the look afterwards starts with the transfer.
  const look = openScriptSession(scriptTargetOf(state, to));
  try {
    await transferListedWith(state, from, to, indexes, look);
  } finally {
    await look.close();
  }
}

async function transferListedWith(state: ApplyState, from: string, to: string, indexes: readonly number[], look: ScriptSession): Promise<void> {
  const { req, steps } = state;
  const failed: StepOutcome[] = [];
  const sent: number[] = [];
  /** Steps of a batch rsync reported failing: rsync's words, by step index. */
  const rsyncFailure = new Map<number, string>();
  const groups = [indexes.filter((i) => !olderThanTarget(steps[i])), indexes.filter((i) => olderThanTarget(steps[i]))];
  for (const [g, group] of groups.entries()) {
    if (group.length === 0) continue;
    reportProgress(state, to);
    const paths = group.map((i) => steps[i].path);
    const started = from === req.self && g === 0 ? state.early.get(to) : undefined;
    if (started) state.early.delete(to);
    const result = started ? await started.send(paths) : await runRsync({ ...buildListedRequest(state, from, to, g), paths });
    state.inFlight.delete(`${from}>${to}#${g}`);
    const reason = `rsync ${from} → ${to}: ${result.message}`;
    if (result.ok) sent.push(...group);
    else if (isMachineGone(result)) for (const i of group) failed.push({ index: i, step: steps[i], status: 'failed', reason });
    else {
      // A partial failure (one unreadable file…) may have transferred the rest of the batch: look.
      sent.push(...group);
      for (const i of group) rsyncFailure.set(i, reason);
    }
  }
  const verified = await readVerifiedOutcomes(state, to, sent, rsyncFailure, undefined, look, true);
  await settleCounted(state, [...failed, ...(await applyGiveBackSaves(state, to, verified))], to);
}
