// The look after a transfer: what the receiver holds now, and the versions saved there meanwhile put back.
import { TRANSFER_TEMP_DIR } from '../../transport/rsync.js';
import { runScript, type ScriptSession } from '../../transport/runScript.js';
import { buildGiveBackScript, parseGiveBackOutput } from '../../transport/trashScript.js';
import type { Entry, Step } from '../../types.js';
import { sameVersion } from '../../plan/versions.js';
import type { StepOutcome } from '../applyTypes.js';
import { describe, sameEntry } from '../preconditions.js';
import { restatMachines } from '../restat.js';
import { buildKeptPath, TRASH_DIR } from '../trashRun.js';
import { machineOf, scriptTargetOf, type ApplyState } from './state.js';

/** A step's outcome as the look after a transfer found it; `saved`: done, but what it replaced was saved meanwhile (not the planned target). */
export interface VerifiedOutcome extends StepOutcome {
  readonly saved?: Entry;
}

/**
 * Looks at what `to` holds now for the sent steps (path by path, or as the trees of `folders`
 * when they went whole): done only when it is the expected version; otherwise failed, with
 * the known reason for the step (rsync's words…) when there is one.
 */
export async function readVerifiedOutcomes(
  state: ApplyState,
  to: string,
  sent: readonly number[],
  knownReason: ReadonlyMap<number, string> = new Map(),
  folders?: readonly string[],
  /** A shell already started on `to` for the look. */
  session?: ScriptSession,
  /** Look at what rsync kept in the trash run too: a done step whose kept version is not the planned target is `saved`. */
  withKept = false,
): Promise<VerifiedOutcome[]> {
  if (sent.length === 0) return [];
  const { req, steps } = state;
  const { config } = req;
  /** The window two machines' mtimes compare with (the larger of theirs); whether a machine's modes count. */
  const windowOf = new Map(config.machines.map((m) => [m.name, m.modifyWindow ?? config.modifyWindow]));
  const pairWindowOf = (a: string, b: string) => Math.max(windowOf.get(a) ?? config.modifyWindow, windowOf.get(b) ?? config.modifyWindow);
  const keeping = new Map(config.machines.map((m) => [m.name, m.perms !== 'ignore']));
  const keepsPerms = (name: string) => keeping.get(name) !== false;
  /** Where each path pulled in this run comes from: a push of it carries the modes self gave it, not the source's (when that one ignores modes). */
  const pulledFrom = new Map<string, string>();
  for (const s of steps) if (s.action === 'pull') pulledFrom.set(s.path, s.from);
  /** Whether a step's modes are to be found on its target: both ends keep them, and so does the machine its version was pulled from. */
  const modesCount = (step: Step) => keepsPerms(step.from) && keepsPerms(step.to) && (step.action !== 'push' || keepsPerms(pulledFrom.get(step.path) ?? step.from));
  const trees = folders ? new Map([[to, folders]]) : new Map();
  const kept = (i: number) => buildKeptPath(req.trashStamp, steps[i].path);
  const listed = folders ? [] : sent.flatMap((i) => (withKept ? [steps[i].path, kept(i)] : [steps[i].path]));
  const sessions = session ? new Map([[to, session]]) : undefined;
  const seen = (await restatMachines(config, req.self, req.sshOptions, new Map([[to, listed]]), { trees, sessions, signal: req.signal })).get(to);
  return sent.map((i): VerifiedOutcome => {
    const step = steps[i];
    if (seen === undefined || 'unreachable' in seen) return { index: i, step, status: 'failed', reason: knownReason.get(i) ?? `${to} unreachable after the transfer (${seen && 'unreachable' in seen ? seen.unreachable : 'no answer'})` };
    const after = seen.get(step.path) ?? null;
    if (!sameVersion(after ?? undefined, step.source ?? undefined, pairWindowOf(step.from, step.to), modesCount(step))) {
      return { index: i, step, status: 'failed', reason: knownReason.get(i) ?? `after the transfer ${to} holds ${describe(after)} (newer there? left alone)` };
    }
    // What rsync replaced is whatever was at the path when it renamed the new version in: a
    // version saved meanwhile (not the planned target) is in the trash run, and must come back.
    const replaced = withKept ? seen.get(kept(i)) : undefined;
    if (replaced !== undefined && replaced.type !== 'dir' && !sameEntry(replaced, step.target)) return { index: i, step, status: 'done', after, saved: replaced };
    return { index: i, step, status: 'done', after };
  });
}

/**
 * Puts back the versions saved on `to` while they were being replaced (see readVerifiedOutcomes),
 * the transferred copies going to the trash run instead; such steps are stale, the next plan
 * sees the saved version as a change there. Nothing is ever dropped: what cannot be put back
 * stays kept in the trash run, and the step says so.
 */
export async function applyGiveBackSaves(state: ApplyState, to: string, verified: readonly VerifiedOutcome[]): Promise<StepOutcome[]> {
  const { req } = state;
  const saves = verified.filter((o) => o.saved !== undefined);
  if (saves.length === 0) return [...verified];
  const m = machineOf(state, to);
  const items = saves.map((o, k) => ({ path: o.step.path, kept: buildKeptPath(req.trashStamp, o.step.path), aside: `${TRANSFER_TEMP_DIR}/given-back-${req.run}-${k}` }));
  const chunks: Buffer[] = [];
  const result = await runScript(scriptTargetOf(state, to), buildGiveBackScript(m.root, items), (c) => chunks.push(c));
  const status = parseGiveBackOutput(Buffer.concat(chunks));
  const where = `${TRASH_DIR}/${req.trashStamp}`;
  const reasons = new Map(
    saves.map((o) => {
      const s = result.unreachable ? undefined : status.get(o.step.path);
      const reason =
        s === 'ok' ? `changed on ${to} during the transfer; kept (${to}'s version is back in place, the transferred one in ${where})`
        : s === 'again' ? `changed on ${to} during the transfer, and again since; kept (that version is in place, the one saved during the transfer in ${where})`
        : `changed on ${to} during the transfer; kept in ${where}, could not be put back in place`;
      return [o.index, reason] as const;
    }),
  );
  return verified.map((o): StepOutcome => {
    const reason = reasons.get(o.index);
    return reason === undefined ? o : { index: o.index, step: o.step, status: 'stale', reason };
  });
}
