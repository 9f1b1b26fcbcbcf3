// Folders new on a receiver sent whole: one recursive rsync into a staging folder, renamed into place.
import { areNameOnly, buildRsyncExcludeRules, machineExcludes } from '../../config/excludes.js';
import { isMachineGone, runRsync, TRANSFER_TEMP_DIR, type RsyncEndpoint } from '../../transport/rsync.js';
import { runScript } from '../../transport/runScript.js';
import { buildRsyncEndpoint } from '../../transport/targets.js';
import { buildPlaceScript, parsePlaceOutput, type PlaceMove } from '../../transport/placeScript.js';
import type { StepOutcome } from '../applyTypes.js';
import type { NewSubtree } from '../subtrees.js';
import { readVerifiedOutcomes } from './look.js';
import { reportProgress, settleCounted } from './progress.js';
import { machineOf, runLimitsOf, scriptTargetOf, type ApplyState } from './state.js';

/** Up to this many folders new on a receiver go by one plain recursive rsync each; more go as one list. */
const DIRECT_FOLDERS_MAX = 4;

/** What a whole transfer's rsyncs left: rsync's words per folder that failed, and the receiver's loss when it went for this run. */
export interface WholeSent {
  readonly failures: ReadonlyMap<string, string>;
  readonly unreachable?: string;
}

/**
 * Folders new on a receiver being sent whole into staging folders under its temp folder (see
 * startWholeSend). Nothing outside the staging folders is written until they are placed.
 */
export interface WholeSend {
  /** The receiver. */
  readonly to: string;
  /** One per subtree: from the staging path that holds it to its root. */
  readonly moves: readonly PlaceMove[];
  /** The staging folders, removed when the moves are done (or the send dropped). */
  readonly stagingDirs: readonly string[];
  /** Resolves when the rsyncs have ended; never rejects. */
  readonly sent: Promise<WholeSent>;
  /** Stops the rsyncs (none starts after); `sent` then resolves. */
  stop(): void;
}

/**
 * Starts sending `subtrees` (folders new on `to`) from `from`: one plain recursive rsync each into
 * its staging folder when they are few and the excludes allow (as fast as rsync -a), else one
 * rsync of the list into one staging folder. Their progress counts as bytes in flight.
 */
export function startWholeSend(state: ApplyState, from: string, to: string, subtrees: readonly NewSubtree[]): WholeSend {
  const { req } = state;
  const { config } = req;
  const roots = subtrees.map((t) => t.root);
  // One staging name per batch: pulls from several machines may fill self's at once.
  const staging = `${TRANSFER_TEMP_DIR}/stage-${req.run}-${++state.stagings}`;
  const receiver = buildRsyncEndpoint(machineOf(state, to), req.self);
  const into = (rel: string) => ({ ...receiver, root: `${receiver.root.replace(/\/+$/, '')}/${rel}` });
  const key = `${from}>${to}#whole`;
  const stopped = new AbortController();
  const signal = req.signal ? AbortSignal.any([req.signal, stopped.signal]) : stopped.signal;
  // What either end leaves out: the config's patterns and both machines' own.
  const patterns = [...new Set([...machineExcludes(config, machineOf(state, from)), ...machineExcludes(config, machineOf(state, to))])];
  const send = (dest: RsyncEndpoint, paths: readonly string[], folder?: string) =>
    runRsync({
      from: buildRsyncEndpoint(machineOf(state, from), req.self),
      to: dest,
      paths,
      sshOptions: req.sshOptions,
      ...runLimitsOf(state),
      signal,
      update: false,
      // Sent whole, a folder's paths are matched from the transfer's root: the folder, or the root.
      whole: { exclude: folder === undefined ? buildRsyncExcludeRules(patterns, config.paths) : patterns, folder, own: config.ownPaths },
      onBytes: (bytes) => {
        state.inFlight.set(key, bytes);
        reportProgress(state, to);
      },
    });
  const direct = subtrees.length <= DIRECT_FOLDERS_MAX && areNameOnly(patterns);
  const moves: PlaceMove[] = direct ? roots.map((root, k) => ({ from: `${staging}-${k}`, to: root })) : roots.map((root) => ({ from: `${staging}/${root}`, to: root }));
  const sendAll = async (): Promise<WholeSent> => {
    const failures = new Map<string, string>();
    if (!direct) {
      const result = await send(into(staging), roots);
      if (!result.ok) for (const root of roots) failures.set(root, `rsync ${from} → ${to}: ${result.message}`);
      return { failures, ...(isMachineGone(result) ? { unreachable: failures.get(roots[0]) } : {}) };
    }
    for (const move of moves) {
      if (stopped.signal.aborted) break;
      const result = await send(into(move.from), [], move.to);
      if (!result.ok) failures.set(move.to, `rsync ${from} → ${to}: ${result.message}`);
      if (isMachineGone(result)) return { failures, unreachable: failures.get(move.to) };
    }
    return { failures };
  };
  const sent = sendAll()
    .catch((error: unknown): WholeSent => ({ failures: new Map(), unreachable: `rsync ${from} → ${to}: ${(error as Error)?.message ?? String(error)}` }))
    .finally(() => state.inFlight.delete(key));
  return { to, moves, stagingDirs: direct ? moves.map((mv) => mv.from) : [staging], sent, stop: () => stopped.abort() };
}

/**
 * Folders new on `to`, whole: sent into staging folders under `to`'s temp folder (by `begun`,
 * when the send began before the precheck, else now), each folder renamed into place (never
 * over anything), then a look at their trees. Settles their steps. Only `subtrees` are placed:
 * what `begun` sent of others (no longer found as planned by the precheck) is removed.
 */
export async function applyTransferWhole(state: ApplyState, from: string, to: string, subtrees: readonly NewSubtree[], begun?: WholeSend): Promise<void> {
  const { steps } = state;
  const wanted = new Set(subtrees.map((t) => t.root));
  if (subtrees.length === 0) {
    if (begun) await dropWholeSend(state, begun);
    return;
  }
  const members = subtrees.flatMap((t) => t.members);
  reportProgress(state, to);
  const send = begun ?? startWholeSend(state, from, to, subtrees);
  const { failures, unreachable } = await send.sent;
  if (unreachable !== undefined) {
    // Its staging folders are left to the next apply's precheck (removed once stale).
    await settleCounted(state, members.map((i): StepOutcome => ({ index: i, step: steps[i], status: 'failed', reason: unreachable })), to);
    return;
  }
  // What arrived goes into place even after a partial failure: the look afterwards decides.
  const chunks: Buffer[] = [];
  const m = machineOf(state, to);
  const placing = await runScript(scriptTargetOf(state, to), buildPlaceScript(m.root, send.moves.filter((mv) => wanted.has(mv.to)), send.stagingDirs), (c) => chunks.push(c));
  const placed = parsePlaceOutput(Buffer.concat(chunks));
  const why = (root: string): string | undefined => {
    const status = placed.get(root);
    if (placing.unreachable) return `${to} unreachable (${placing.unreachable})`;
    if (status === 'exists') return `${root} appeared on ${to} during the transfer; left alone`;
    if (status !== 'ok') return failures.get(root) ?? `could not move ${root} into place on ${to}`;
    return failures.get(root);
  };
  const reasonOf = new Map<number, string>();
  for (const t of subtrees) {
    const reason = why(t.root);
    if (reason !== undefined) for (const i of t.members) reasonOf.set(i, reason);
  }
  const outcomes = await readVerifiedOutcomes(state, to, members, reasonOf, [...wanted]);
  await settleCounted(state, outcomes, to);
}

/** Stops a whole send none of whose folders is to be placed, and removes its staging folders (left to a later precheck when its receiver cannot be reached or the apply is interrupted). */
export async function dropWholeSend(state: ApplyState, send: WholeSend): Promise<void> {
  send.stop();
  await send.sent;
  await runScript(scriptTargetOf(state, send.to), buildPlaceScript(machineOf(state, send.to).root, [], send.stagingDirs), () => undefined).catch(() => undefined);
}
