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

/**
 * Folders new on `to`, whole: one recursive rsync into a staging folder under `to`'s temp
 * folder, each folder renamed into place (never over anything), then a look at their trees.
 * Settles their steps.
 */
export async function applyTransferWhole(state: ApplyState, from: string, to: string, subtrees: readonly NewSubtree[]): Promise<void> {
  const { req, steps } = state;
  const { config } = req;
  const roots = subtrees.map((t) => t.root);
  const members = subtrees.flatMap((t) => t.members);
  // One staging name per batch: pulls from several machines may fill self's at once.
  const staging = `${TRANSFER_TEMP_DIR}/stage-${req.run}-${++state.stagings}`;
  const receiver = buildRsyncEndpoint(machineOf(state, to), req.self);
  const into = (rel: string) => ({ ...receiver, root: `${receiver.root.replace(/\/+$/, '')}/${rel}` });
  const key = `${from}>${to}#whole`;
  // What either end leaves out: the config's patterns and both machines' own.
  const patterns = [...new Set([...machineExcludes(config, machineOf(state, from)), ...machineExcludes(config, machineOf(state, to))])];
  const send = (dest: RsyncEndpoint, paths: readonly string[], folder?: string) =>
    runRsync({
      from: buildRsyncEndpoint(machineOf(state, from), req.self),
      to: dest,
      paths,
      sshOptions: req.sshOptions,
      ...runLimitsOf(state),
      update: false,
      // Sent whole, a folder's paths are matched from the transfer's root: the folder, or the root.
      whole: { exclude: folder === undefined ? buildRsyncExcludeRules(patterns, config.paths) : patterns, folder, own: config.ownPaths },
      onBytes: (bytes) => {
        state.inFlight.set(key, bytes);
        reportProgress(state, to);
      },
    });
  reportProgress(state, to);
  // A few folders, with excludes that do not depend on where the transfer starts: one plain
  // recursive rsync each (incremental, as fast as rsync -a). Otherwise one rsync of the list.
  const direct = subtrees.length <= DIRECT_FOLDERS_MAX && areNameOnly(patterns);
  const moves: PlaceMove[] = direct ? roots.map((root, k) => ({ from: `${staging}-${k}`, to: root })) : roots.map((root) => ({ from: `${staging}/${root}`, to: root }));
  const failures = new Map<string, string>();
  let unreachable: string | undefined;
  if (direct) {
    for (const move of moves) {
      const result = await send(into(move.from), [], move.to);
      if (!result.ok) failures.set(move.to, `rsync ${from} → ${to}: ${result.message}`);
      if (isMachineGone(result)) {
        unreachable = failures.get(move.to);
        break;
      }
    }
  } else {
    const result = await send(into(staging), roots);
    if (!result.ok) for (const root of roots) failures.set(root, `rsync ${from} → ${to}: ${result.message}`);
    if (isMachineGone(result)) unreachable = failures.get(roots[0]);
  }
  state.inFlight.delete(key);
  if (unreachable !== undefined) {
    await settleCounted(state, members.map((i): StepOutcome => ({ index: i, step: steps[i], status: 'failed', reason: unreachable })), to);
    return;
  }
  // What arrived goes into place even after a partial failure: the look afterwards decides.
  const chunks: Buffer[] = [];
  const m = machineOf(state, to);
  const stagingDirs = direct ? moves.map((mv) => mv.from) : [staging];
  const placing = await runScript(scriptTargetOf(state, to), buildPlaceScript(m.root, moves, stagingDirs), (c) => chunks.push(c));
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
  const outcomes = await readVerifiedOutcomes(state, to, members, reasonOf, roots);
  await settleCounted(state, outcomes, to);
}
