import { areNameOnly, buildRsyncExcludeRules, machineExcludes } from '../config/excludes.js';
import { isMachineGone, runRsync, startRsync, TRANSFER_TEMP_DIR, type RsyncEndpoint, type RsyncRequest, type StartedRsync } from '../transport/rsync.js';
import { openScriptSession, runScript, type ScriptSession } from '../transport/runScript.js';
import { buildRsyncEndpoint, buildScriptTarget } from '../transport/targets.js';
import { buildGiveBackScript, buildTrashScript, parseGiveBackOutput, parseTrashOutput } from '../transport/trashScript.js';
import { buildKeptPath, buildPruneCutoff, TRASH_DIR } from './trashRun.js';
import type { JournalWriter } from '../state/journal.js';
import type { Config, Entry, JournalRecord, Plan, Step } from '../types.js';
import { sameVersion } from '../plan/versions.js';
import { checkPreconditions, collectInvolved, describe, sameEntry } from './preconditions.js';
import { restatMachines } from './restat.js';
import { runLimited } from './runLimited.js';
import { findNewSubtrees, findSendableSubtrees, WHOLE_SUBTREES_MIN, type NewSubtree } from './subtrees.js';
import { buildPlaceScript, parsePlaceOutput, type PlaceMove } from '../transport/placeScript.js';
import { buildAsideScript, parseAsideOutput } from '../transport/asideScript.js';
import { buildMoveHashScript, buildMoveScript, MOVE_HASH_MIN_BYTES, parseMoveHashOutput, parseMoveOutput } from '../transport/moveScript.js';

export type StepStatus = 'done' | 'failed' | 'stale';

/** Up to this many folders new on a receiver go by one plain recursive rsync each; more go as one list. */
const DIRECT_FOLDERS_MAX = 4;

/** What became of one step of the plan. */
export interface StepOutcome {
  readonly index: number;
  readonly step: Step;
  readonly status: StepStatus;
  readonly reason?: string;
  /** What `to` holds afterwards, as looked at after the transfer (null = absent); set when done. */
  readonly after?: Entry | null;
}

/** Progress of the transfers, for a live line or JSON events. */
export interface ApplyProgress {
  readonly machine: string;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** The same counts per machine written to (steps' `to`), bytes in flight included. */
  readonly machines?: readonly MachineProgress[];
}

/** Counts of the steps that write to one machine. */
export interface MachineProgress {
  readonly name: string;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface ApplyRequest {
  readonly config: Config;
  readonly self: string;
  readonly sshOptions: readonly string[];
  readonly plan: Plan;
  readonly journal: JournalWriter;
  /** Identifies this apply in the journal. */
  readonly run: string;
  readonly now: () => number;
  /** Folder name under `.blat-trash/` for this run (see trashRun.ts): trash moves and the versions transfers replace. */
  readonly trashStamp: string;
  readonly onOutcome?: (outcome: StepOutcome) => void;
  readonly onProgress?: (progress: ApplyProgress) => void;
  /** Shells already started on the plan's machines (see openScriptSession), for the precheck to use instead of starting its own. */
  readonly sessions?: ReadonlyMap<string, ScriptSession>;
  /** Aborted by Ctrl-C or SIGTERM: transfers and looks are stopped, nothing more is started, every step not done fails as "interrupted". */
  readonly signal?: AbortSignal;
}

/**
 * Carries out the plan's steps: journal them as planned, re-check every precondition (one
 * round trip per machine), pull (one rsync per source), then push and trash (one batch per
 * target, targets in parallel), looking at the results, journalling each outcome durably
 * as it happens. Folders new on a receiver go whole when their source is exactly as planned
 * (see transferWhole). Failures are returned as data; only journal I/O errors throw. A machine
 * silent for `config.stallTimeout` seconds fails its steps as stalled; an aborted `req.signal`
 * ends the apply early, every step not done failed as "interrupted" (and journalled so).
 */
export async function applySteps(req: ApplyRequest): Promise<StepOutcome[]> {
  const { plan, config, journal } = req;
  const steps = plan.steps;
  const outcomes: (StepOutcome | undefined)[] = new Array(steps.length);
  const t = req.now;

  // Written (and fsynced) while the preconditions are looked at; awaited before anything is transferred.
  const journalled = journal.appendMany([
    ...steps.map((step): JournalRecord => ({ t: t(), event: 'planned', run: req.run, step })),
    ...plan.deferred.map((d): JournalRecord => ({ t: t(), event: 'deferred', run: req.run, path: d.path, machine: d.machine, reason: d.reason })),
  ]);
  journalled.catch(() => undefined); // its failure is thrown where it is awaited

  const settle = async (list: StepOutcome[]) => {
    for (const o of list) {
      outcomes[o.index] = o;
      req.onOutcome?.(o);
    }
    await journal.appendMany(
      list.map((o): JournalRecord =>
        o.status === 'done'
          ? { t: t(), event: 'done', run: req.run, step: o.step }
          : { t: t(), event: o.status, run: req.run, step: o.step, reason: o.reason ?? '' },
      ),
    );
  };

  if (steps.length === 0) {
    await journalled;
    return [];
  }

  /** After an interrupt: every step without an outcome failed as "interrupted"; all the outcomes. */
  const settleInterrupted = async (): Promise<StepOutcome[]> => {
    await settle(steps.flatMap((step, index): StepOutcome[] => (outcomes[index] ? [] : [{ index, step, status: 'failed', reason: 'interrupted' }])));
    return outcomes.filter((o): o is StepOutcome => o !== undefined);
  };

  // 0. Folders new on a receiver (with enough under them) may go whole: their source is listed as
  //    a tree by the precheck instead of path by path, and the receiver is asked for the folder only.
  const pulled = new Set(steps.filter((s) => s.action === 'pull').map((s) => s.path));
  const batches = groupBy(
    steps.flatMap((s, i) => (s.action === 'trash' || s.action === 'copy-aside' || s.action === 'move' || (s.action === 'push' && pulled.has(s.path)) ? [] : [i])),
    (i) => `${steps[i].from}\0${steps[i].to}`,
  );
  // A folder whose parent another batch creates (pulls from two machines into a new folder here)
  // waits for nothing: it goes path by path.
  const created = new Set(steps.flatMap((s) => (s.source?.type === 'dir' && s.target === null ? [`${s.to}\0${s.path}`] : [])));
  const parentCreated = (to: string, path: string) => path.includes('/') && created.has(`${to}\0${path.slice(0, path.lastIndexOf('/'))}`);
  const candidates: { readonly key: string; readonly from: string; readonly subtree: NewSubtree }[] = [];
  for (const [key, idx] of batches) {
    const to = steps[idx[0]].to;
    // A receiver where a rename loses the mtime (fusefat; probed): path by path, after which rsync sets the times again.
    if (config.machines.find((m) => m.name === to)?.renameKeepsMtime === false) continue;
    const found = findNewSubtrees(steps, idx).filter((t) => !parentCreated(to, t.root));
    if (found.reduce((n, t) => n + t.members.length, 0) < WHOLE_SUBTREES_MIN) continue;
    for (const subtree of found) candidates.push({ key, from: steps[idx[0]].from, subtree });
  }
  const listedAsTree = new Set<number>();
  const trees = new Map<string, Set<string>>();
  for (const c of candidates) {
    for (const i of c.subtree.members) if (steps[i].path !== c.subtree.root) listedAsTree.add(i);
    if (!trees.has(c.from)) trees.set(c.from, new Set());
    trees.get(c.from)!.add(c.subtree.root);
  }

  const progress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
  const perMachine = new Map<string, { filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number }>();
  const machineCounts = (name: string) => {
    let m = perMachine.get(name);
    if (m === undefined) perMachine.set(name, (m = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 }));
    return m;
  };
  /** `from>to#group` → bytes that rsync has sent so far. */
  const inFlight = new Map<string, number>();
  const flying = (to?: string) => {
    let n = 0;
    for (const [key, bytes] of inFlight) if (to === undefined || key.slice(key.indexOf('>') + 1, key.lastIndexOf('#')) === to) n += bytes;
    return n;
  };
  const report = (machine: string) =>
    req.onProgress?.({
      machine,
      filesDone: progress.filesDone,
      filesTotal: progress.filesTotal,
      bytesDone: progress.bytesDone + flying(),
      bytesTotal: progress.bytesTotal,
      machines: [...perMachine].map(([name, m]) => ({ name, ...m, bytesDone: m.bytesDone + flying(name) })),
    });

  const machine = (name: string) => config.machines.find((m) => m.name === name)!;
  /** The window two machines' mtimes compare with (the larger of theirs); whether a machine's modes count. */
  const pairWindowOf = (a: string, b: string) => Math.max(machine(a).modifyWindow ?? config.modifyWindow, machine(b).modifyWindow ?? config.modifyWindow);
  const keepsPerms = (name: string) => machine(name).perms !== 'ignore';
  /** Where each path pulled in this run comes from: a push of it carries the modes self gave it, not the source's (when that one ignores modes). */
  const pulledFrom = new Map(steps.flatMap((s) => (s.action === 'pull' ? [[s.path, s.from] as const] : [])));
  /** Whether a step's modes are to be found on its target: both ends keep them, and so does the machine its version was pulled from. */
  const modesCount = (step: Step) => keepsPerms(step.from) && keepsPerms(step.to) && (step.action !== 'push' || keepsPerms(pulledFrom.get(step.path) ?? step.from));
  const limits = { stallTimeout: config.stallTimeout, signal: req.signal };
  const target = (name: string) => buildScriptTarget(machine(name), req.self, req.sshOptions, limits);
  const interrupted = () => req.signal?.aborted === true;

  /** The rsync of one listed group of a batch (group 0: guarded by --update), list aside. */
  const listedRequest = (from: string, to: string, group: number): Omit<RsyncRequest, 'paths'> => ({
    from: buildRsyncEndpoint(machine(from), req.self),
    to: buildRsyncEndpoint(machine(to), req.self),
    sshOptions: req.sshOptions,
    ...limits,
    update: group === 0,
    backupDir: `${TRASH_DIR}/${req.trashStamp}`,
    onBytes: (bytes) => {
      inFlight.set(`${from}>${to}#${group}`, bytes);
      report(to);
    },
  });

  // 1. Preconditions, just before transferring. Meanwhile, when nothing is to be pulled first, each
  //    push target's rsync of listed paths starts: it connects, then waits for its list, written
  //    only once the checks are done (see StartedRsync). One never sent a list is stopped at the end.
  const early = new Map<string, StartedRsync>();
  const mayGoWhole = new Set(candidates.flatMap((c) => c.subtree.members));
  const pushTargets = new Set(steps.flatMap((s, i) => (s.action === 'push' && !olderThanTarget(s) && !mayGoWhole.has(i) ? [s.to] : [])));
  if (pulled.size === 0 && pushTargets.size <= config.concurrency) {
    for (const to of pushTargets) early.set(to, startRsync(listedRequest(req.self, to, 0)));
  }
  try {
    // 0. Versions kept aside (--keep-both), before anything is looked at: their copies are the
    //    sources of the transfers that spread them. A path whose copy was not made is left alone.
    const asideProblems = await copyAside(req, steps, settle);
    // Then the moves (before anything is looked at or sent: what is sent into a moved folder needs it there).
    const moveProblems = interrupted() ? new Map() : await applyMoves(req, steps, settle, asideProblems);
    const involved = collectInvolved(steps.filter((s, i) => !listedAsTree.has(i) && s.action !== 'copy-aside' && s.action !== 'move'));
    const restat = await restatMachines(config, req.self, req.sshOptions, involved, { prepareDir: TRANSFER_TEMP_DIR, pruneTrashBefore: buildPruneCutoff(req.now(), config.trash.keepDays), trees, sessions: req.sessions, signal: req.signal });
    await journalled;
    if (interrupted()) return await settleInterrupted();
    const problems = checkPreconditions(steps, restat);
    for (const [i, p] of asideProblems) problems.set(i, p);
    for (const [i, p] of moveProblems) problems.set(i, p);
    /** batch key → the subtrees sent whole. */
    const wholes = new Map<string, NewSubtree[]>();
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
        if (!wholes.has(c.key)) wholes.set(c.key, []);
        wholes.get(c.key)!.push(c.subtree);
      }
    }
    await settle([...problems].map(([index, p]) => ({ index, step: steps[index], status: p.status, reason: p.reason })));

    progress.filesTotal = steps.filter((s) => s.action !== 'copy-aside' && s.action !== 'move').length - [...problems.keys()].filter((i) => steps[i].action !== 'move').length;
    progress.bytesTotal = steps.reduce((sum, s, i) => sum + (problems.has(i) || s.source?.type !== 'file' ? 0 : s.source.size), 0);
    steps.forEach((s, i) => {
      if (problems.has(i)) return;
      const m = machineCounts(s.to);
      m.filesTotal++;
      if (s.source?.type === 'file') m.bytesTotal += s.source.size;
    });

    let stagings = 0;

    /** One source → one target: folders new there whole, the rest path by path. */
    const transfer = async (from: string, to: string, indexes: readonly number[]): Promise<void> => {
      if (interrupted()) return; // its steps fail as interrupted at the end
      const whole = wholes.get(`${from}\0${to}`) ?? [];
      const sentWhole = new Set(whole.flatMap((t) => t.members));
      if (whole.length > 0) await transferWhole(from, to, whole);
      await transferListed(from, to, indexes.filter((i) => !sentWhole.has(i)));
    };

    /**
     * Folders new on `to`, whole: one recursive rsync into a staging folder under `to`'s temp
     * folder, each folder renamed into place (never over anything), then a look at their trees.
     */
    const transferWhole = async (from: string, to: string, subtrees: readonly NewSubtree[]): Promise<void> => {
      const roots = subtrees.map((t) => t.root);
      const members = subtrees.flatMap((t) => t.members);
      // One staging name per batch: pulls from several machines may fill self's at once.
      const staging = `${TRANSFER_TEMP_DIR}/stage-${req.run}-${++stagings}`;
      const receiver = buildRsyncEndpoint(machine(to), req.self);
      const into = (rel: string) => ({ ...receiver, root: `${receiver.root.replace(/\/+$/, '')}/${rel}` });
      const key = `${from}>${to}#whole`;
      // What either end leaves out: the config's patterns and both machines' own.
      const patterns = [...new Set([...machineExcludes(config, machine(from)), ...machineExcludes(config, machine(to))])];
      const send = (dest: RsyncEndpoint, paths: readonly string[], folder?: string) =>
        runRsync({
          from: buildRsyncEndpoint(machine(from), req.self),
          to: dest,
          paths,
          sshOptions: req.sshOptions,
          ...limits,
          update: false,
          // Sent whole, a folder's paths are matched from the transfer's root: the folder, or the root.
          whole: { exclude: folder === undefined ? buildRsyncExcludeRules(patterns, config.paths) : patterns, folder, own: config.ownPaths },
          onBytes: (bytes) => {
            inFlight.set(key, bytes);
            report(to);
          },
        });
      report(to);
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
      inFlight.delete(key);
      if (unreachable !== undefined) {
        await finish(members.map((i): StepOutcome => ({ index: i, step: steps[i], status: 'failed', reason: unreachable })), to);
        return;
      }
      // What arrived goes into place even after a partial failure: the look afterwards decides.
      const chunks: Buffer[] = [];
      const m = machine(to);
      const stagingDirs = direct ? moves.map((mv) => mv.from) : [staging];
      const placing = await runScript(target(to), buildPlaceScript(m.root, moves, stagingDirs), (c) => chunks.push(c));
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
      const outcomes = await verify(to, members, reasonOf, roots);
      await finish(outcomes, to);
    };

    /** Listed paths: rsync (split by whether --update may guard it), then a look at the result. */
    const transferListed = async (from: string, to: string, indexes: readonly number[]): Promise<void> => {
      if (indexes.length === 0) return;
      // The shell for the look afterwards starts with the transfer.
      const look = openScriptSession(target(to));
      try {
        await transferListedWith(from, to, indexes, look);
      } finally {
        await look.close();
      }
    };

    const transferListedWith = async (from: string, to: string, indexes: readonly number[], look: ScriptSession): Promise<void> => {
      const failed: StepOutcome[] = [];
      const sent: number[] = [];
      /** Steps of a batch rsync reported failing: rsync's words, by step index. */
      const rsyncFailure = new Map<number, string>();
      const groups = [indexes.filter((i) => !olderThanTarget(steps[i])), indexes.filter((i) => olderThanTarget(steps[i]))];
      for (const [g, group] of groups.entries()) {
        if (group.length === 0) continue;
        report(to);
        const paths = group.map((i) => steps[i].path);
        const started = from === req.self && g === 0 ? early.get(to) : undefined;
        if (started) early.delete(to);
        const result = started ? await started.send(paths) : await runRsync({ ...listedRequest(from, to, g), paths });
        inFlight.delete(`${from}>${to}#${g}`);
        const reason = `rsync ${from} → ${to}: ${result.message}`;
        if (result.ok) sent.push(...group);
        else if (isMachineGone(result)) for (const i of group) failed.push({ index: i, step: steps[i], status: 'failed', reason });
        else {
          // A partial failure (one unreadable file…) may have transferred the rest of the batch: look.
          sent.push(...group);
          for (const i of group) rsyncFailure.set(i, reason);
        }
      }
      const verified = await verify(to, sent, rsyncFailure, undefined, look, true);
      await finish([...failed, ...(await giveBackSaves(to, verified))], to);
    };

    /**
     * Looks at what `to` holds now for the sent steps (path by path, or as the trees of `folders`
     * when they went whole): done only when it is the expected version; otherwise failed, with
     * the known reason for the step (rsync's words…) when there is one.
     */
    const verify = async (
      to: string,
      sent: readonly number[],
      knownReason: ReadonlyMap<number, string> = new Map(),
      folders?: readonly string[],
      /** A shell already started on `to` for the look. */
      session?: ScriptSession,
      /** Look at what rsync kept in the trash run too: a done step whose kept version is not the planned target is `saved`. */
      withKept = false,
    ): Promise<VerifiedOutcome[]> => {
      if (sent.length === 0) return [];
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
    };

    /**
     * Puts back the versions saved on `to` while they were being replaced (see verify), the
     * transferred copies going to the trash run instead; such steps are stale, the next plan
     * sees the saved version as a change there. Nothing is ever dropped: what cannot be put back
     * stays kept in the trash run, and the step says so.
     */
    const giveBackSaves = async (to: string, verified: readonly VerifiedOutcome[]): Promise<StepOutcome[]> => {
      const saves = verified.filter((o) => o.saved !== undefined);
      if (saves.length === 0) return [...verified];
      const m = machine(to);
      const items = saves.map((o, k) => ({ path: o.step.path, kept: buildKeptPath(req.trashStamp, o.step.path), aside: `${TRANSFER_TEMP_DIR}/given-back-${req.run}-${k}` }));
      const chunks: Buffer[] = [];
      const result = await runScript(target(to), buildGiveBackScript(m.root, items), (c) => chunks.push(c));
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
    };

    const finish = async (list: StepOutcome[], machineName: string) => {
      progress.filesDone += list.length;
      progress.bytesDone += list.reduce((sum, o) => sum + (o.step.source?.type === 'file' ? o.step.source.size : 0), 0);
      for (const o of list) {
        const m = machineCounts(o.step.to);
        m.filesDone++;
        if (o.step.source?.type === 'file') m.bytesDone += o.step.source.size;
      }
      await settle(list);
      report(machineName);
    };

    /** Moves the trash steps' paths on one machine into .blat-trash/<stamp>/. */
    const trash = async (to: string, indexes: readonly number[]): Promise<void> => {
      if (indexes.length === 0 || interrupted()) return;
      const m = machine(to);
      const chunks: Buffer[] = [];
      const script = buildTrashScript(m.root, req.trashStamp, indexes.map((i) => ({ path: steps[i].path, isDir: steps[i].target?.type === 'dir' })));
      const result = await runScript(target(to), script, (c) => chunks.push(c));
      const status = parseTrashOutput(Buffer.concat(chunks));
      await finish(
        indexes.map((i): StepOutcome => {
          const step = steps[i];
          const s = status.get(step.path);
          if (result.unreachable) return { index: i, step, status: 'failed', reason: `${to} unreachable (${result.unreachable})` };
          if (s === 'ok' || s === 'gone') return { index: i, step, status: 'done', after: null };
          return { index: i, step, status: 'failed', reason: s === 'fail' ? 'not moved to trash (folder not empty, or permission denied)' : `trash script failed: ${result.stderr.trim().split('\n')[0] ?? ''}` };
        }),
        to,
      );
    };

    const runnable = (i: number) => !problems.has(i);

    // 2. Pulls, one rsync per source machine. When one source's paths go into a folder another
    //    source's pull creates here, the pulls run one after another, shallowest folders first
    //    (rsync does not make the missing parents: --no-implied-dirs).
    const pulls = groupBy(steps.flatMap((s, i) => (s.action === 'pull' && runnable(i) ? [i] : [])), (i) => steps[i].from);
    const pulledFolderFrom = new Map(steps.flatMap((s) => (s.action === 'pull' && s.source?.type === 'dir' && s.target === null ? [[s.path, s.from] as const] : [])));
    const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
    const dependent = [...pulls.values()].some((idx) => idx.some((i) => (pulledFolderFrom.get(parentOf(steps[i].path)) ?? steps[i].from) !== steps[i].from));
    const depth = (idx: readonly number[]) => idx.reduce((d, i) => Math.min(d, steps[i].path.split('/').length), Infinity);
    const pullOrder = dependent ? [...pulls].sort((a, b) => depth(a[1]) - depth(b[1])) : [...pulls];
    await runLimited(pullOrder, dependent ? 1 : config.concurrency, ([from, idx]) => transfer(from, req.self, idx));

    // 3. Pushes and trash, one batch per target machine, targets in parallel. A push whose
    //    pull did not happen is not carried out.
    const pullOutcome = new Map<string, StepOutcome>();
    for (const o of outcomes) if (o && o.step.action === 'pull') pullOutcome.set(o.step.path, o);
    const blocked: StepOutcome[] = [];
    const later = steps.flatMap((s, i) => {
      if (s.action === 'pull' || s.action === 'copy-aside' || s.action === 'move' || !runnable(i)) return [];
      const pulled = pullOutcome.get(s.path);
      if (pulled && pulled.status !== 'done') {
        blocked.push({ index: i, step: s, status: pulled.status, reason: `not pushed: the pull of this path from ${pulled.step.from} was ${pulled.status}` });
        return [];
      }
      return [i];
    });
    if (blocked.length) await finish(blocked, req.self);
    const byTarget = groupBy(later, (i) => steps[i].to);
    await runLimited([...byTarget], config.concurrency, async ([to, idx]) => {
      await transfer(req.self, to, idx.filter((i) => steps[i].action === 'push'));
      await trash(to, idx.filter((i) => steps[i].action === 'trash'));
    });

    if (interrupted()) return await settleInterrupted();
    return outcomes.filter((o): o is StepOutcome => o !== undefined);
  } finally {
    await Promise.all([...early.values()].map((rsync) => rsync.cancel()));
  }
}

/**
 * Carries out the copy-aside steps, one script per machine (machines in parallel) after a look at
 * each path and name: the version there must still be the planned one, the name free. Settles
 * them, and returns the other steps that must not run (by index): those of a path whose copy was
 * not made (the version would be replaced without its copy), and those spreading that copy.
 */
async function copyAside(
  req: ApplyRequest,
  steps: readonly Step[],
  settle: (list: StepOutcome[]) => Promise<void>,
): Promise<Map<number, { status: 'stale' | 'failed'; reason: string }>> {
  const blocked = new Map<number, { status: 'stale' | 'failed'; reason: string }>();
  const asides = steps.flatMap((s, i) => (s.action === 'copy-aside' && s.as !== undefined ? [i] : []));
  if (asides.length === 0) return blocked;
  const byMachine = groupBy(asides, (i) => steps[i].from);
  const involved = new Map([...byMachine].map(([m, idx]) => [m, idx.flatMap((i) => [steps[i].path, steps[i].as as string])] as const));
  const seen = await restatMachines(req.config, req.self, req.sshOptions, involved);
  const outcomes: StepOutcome[] = [];
  await Promise.all(
    [...byMachine].map(async ([name, idx]) => {
      const fresh = seen.get(name);
      const ready: number[] = [];
      for (const i of idx) {
        const step = steps[i];
        const as = step.as as string;
        if (fresh === undefined || 'unreachable' in fresh) outcomes.push({ index: i, step, status: 'failed', reason: `${name} unreachable (${fresh && 'unreachable' in fresh ? fresh.unreachable : 'no answer'})` });
        else if (!sameEntry(fresh.get(step.path), step.source)) outcomes.push({ index: i, step, status: 'stale', reason: `${name} changed since the plan (${describe(fresh.get(step.path) ?? null)}, expected ${describe(step.source)})` });
        else if (fresh.has(as)) outcomes.push({ index: i, step, status: 'stale', reason: `${as} is there on ${name} now (${describe(fresh.get(as) ?? null)}); left alone` });
        else ready.push(i);
      }
      if (ready.length === 0) return;
      const m = req.config.machines.find((c) => c.name === name)!;
      const items = ready.map((i, k) => ({ path: steps[i].path, as: steps[i].as as string, temp: `${TRANSFER_TEMP_DIR}/aside-${req.run}-${k}` }));
      const chunks: Buffer[] = [];
      const result = await runScript(buildScriptTarget(m, req.self, req.sshOptions, { stallTimeout: req.config.stallTimeout, signal: req.signal }), buildAsideScript(m.root, TRANSFER_TEMP_DIR, items), (c) => chunks.push(c));
      const status = parseAsideOutput(Buffer.concat(chunks));
      for (const i of ready) {
        const step = steps[i];
        const as = step.as as string;
        const s = result.unreachable ? undefined : status.get(as);
        if (s === 'ok') outcomes.push({ index: i, step, status: 'done', after: step.source });
        else if (result.unreachable) outcomes.push({ index: i, step, status: 'failed', reason: `${name} unreachable (${result.unreachable})` });
        else if (s === 'exists') outcomes.push({ index: i, step, status: 'stale', reason: `${as} appeared on ${name}; left alone` });
        else if (s === 'gone') outcomes.push({ index: i, step, status: 'stale', reason: `${step.path} is no longer a file on ${name}` });
        else outcomes.push({ index: i, step, status: 'failed', reason: `could not copy ${step.path} to ${as} on ${name}${result.exitCode === 3 ? ' (root missing)' : ''}` });
      }
    }),
  );
  outcomes.sort((a, b) => a.index - b.index);
  await settle(outcomes);
  for (const o of outcomes) {
    if (o.status === 'done') continue;
    const as = o.step.as as string;
    steps.forEach((s, i) => {
      if (s.action === 'copy-aside' || (s.path !== o.step.path && s.path !== as)) return;
      blocked.set(i, { status: o.status === 'failed' ? 'failed' : 'stale', reason: `not carried out: ${o.step.from}'s version of ${o.step.path} was not kept as ${as} (${o.reason ?? o.status})` });
    });
  }
  return blocked;
}

/**
 * Carries out the move steps (not blocked by `blocked`): one look at the involved paths on every
 * machine (the mover's new path, the target's old and new paths), a content check of the files over
 * 1 MiB (sha256 on both ends, one round trip each, only when some move holds one or is a folder),
 * then one move script per target (machines in parallel). A move runs only when the mover still
 * holds the version at the new path, the target the planned version at the old path and nothing at
 * the new one. Settles them, and returns the other steps that must not run (by index): those to
 * the same target under a new path whose move was not done (their folder is not there).
 */
async function applyMoves(
  req: ApplyRequest,
  steps: readonly Step[],
  settle: (list: StepOutcome[]) => Promise<void>,
  blocked: ReadonlyMap<number, { status: 'stale' | 'failed'; reason: string }>,
): Promise<Map<number, { status: 'stale' | 'failed'; reason: string }>> {
  const problems = new Map<number, { status: 'stale' | 'failed'; reason: string }>();
  const moves = steps.flatMap((s, i) => (s.action === 'move' && s.was !== undefined && !blocked.has(i) ? [i] : []));
  if (moves.length === 0) return problems;
  const { config } = req;
  const machine = (name: string) => config.machines.find((m) => m.name === name)!;
  const windowOf = (a: string, b: string) => Math.max(machine(a).modifyWindow ?? config.modifyWindow, machine(b).modifyWindow ?? config.modifyWindow);
  const perms = (a: string, b: string) => machine(a).perms !== 'ignore' && machine(b).perms !== 'ignore';
  const limits = { stallTimeout: config.stallTimeout, signal: req.signal };
  const involved = new Map<string, Set<string>>();
  const add = (m: string, p: string) => (involved.get(m) ?? involved.set(m, new Set()).get(m)!).add(p);
  for (const i of moves) {
    add(steps[i].from, steps[i].path);
    add(steps[i].to, steps[i].was as string);
    add(steps[i].to, steps[i].path);
  }
  const seen = await restatMachines(config, req.self, req.sshOptions, involved, { signal: req.signal });
  const outcomes: StepOutcome[] = [];
  const ready: number[] = [];
  const unreachable = (name: string): string | undefined => {
    const fresh = seen.get(name);
    return fresh === undefined ? 'no answer' : 'unreachable' in fresh ? fresh.unreachable : undefined;
  };
  for (const i of moves) {
    const step = steps[i];
    const was = step.was as string;
    const gone = unreachable(step.to) ?? unreachable(step.from);
    if (gone !== undefined) {
      outcomes.push({ index: i, step, status: 'failed', reason: `${unreachable(step.to) === undefined ? step.from : step.to} unreachable (${gone})` });
      continue;
    }
    const at = (m: string, p: string) => (seen.get(m) as ReadonlyMap<string, Entry>).get(p) ?? null;
    const moved = at(step.from, step.path);
    if (!sameVersion(moved ?? undefined, step.source ?? undefined, windowOf(step.from, step.to), perms(step.from, step.to))) {
      outcomes.push({ index: i, step, status: 'stale', reason: `${step.from} changed since the plan (${step.path}: ${describe(moved)}, expected ${describe(step.source)})` });
    } else if (!sameEntry(at(step.to, was), step.source)) {
      outcomes.push({ index: i, step, status: 'stale', reason: `${step.to} changed since the plan (${was}: ${describe(at(step.to, was))}, expected ${describe(step.source)})` });
    } else if (at(step.to, step.path) !== null) {
      outcomes.push({ index: i, step, status: 'stale', reason: `${step.path} is there on ${step.to} now (${describe(at(step.to, step.path))}); a move never replaces anything: left alone` });
    } else ready.push(i);
  }

  // Big files: the content must agree too. One hash script per machine, for the paths that may hold one.
  const hashed = ready.filter((i) => steps[i].source?.type === 'dir' || (steps[i].source?.type === 'file' && (steps[i].source as Entry).size > MOVE_HASH_MIN_BYTES));
  if (hashed.length > 0) {
    const asked = new Map<string, Set<string>>();
    const ask = (m: string, p: string) => (asked.get(m) ?? asked.set(m, new Set()).get(m)!).add(p);
    for (const i of hashed) {
      ask(steps[i].from, steps[i].path);
      ask(steps[i].to, steps[i].was as string);
    }
    const sums = new Map<string, Map<string, string> | string>();
    await Promise.all(
      [...asked].map(async ([name, paths]) => {
        const chunks: Buffer[] = [];
        const m = machine(name);
        const result = await runScript(buildScriptTarget(m, req.self, req.sshOptions, limits), buildMoveHashScript(m.root, [...paths]), (c) => chunks.push(c));
        sums.set(name, result.unreachable ? `${name} unreachable (${result.unreachable})` : result.exitCode !== 0 ? `could not hash files on ${name} (exit ${result.exitCode})` : parseMoveHashOutput(Buffer.concat(chunks)));
      }),
    );
    /** The hashes at or under `root` on `name`, keyed by the name relative to `root` ('' for root itself). */
    const under = (name: string, root: string): Map<string, string> | string => {
      const all = sums.get(name) ?? 'no answer';
      if (typeof all === 'string') return all;
      const out = new Map<string, string>();
      for (const [p, h] of all) if (p === root || p.startsWith(`${root}/`)) out.set(p.slice(root.length), h);
      return out;
    };
    for (const i of hashed) {
      const step = steps[i];
      const a = under(step.from, step.path);
      const b = under(step.to, step.was as string);
      const why = typeof a === 'string' ? a : typeof b === 'string' ? b : a.size !== b.size || [...a].some(([k, h]) => b.get(k) !== h) ? `the content of ${step.was} on ${step.to} differs from ${step.path} on ${step.from} (sha256 of the files over 1 MiB)` : undefined;
      if (why === undefined) continue;
      ready.splice(ready.indexOf(i), 1);
      outcomes.push({ index: i, step, status: typeof a === 'string' || typeof b === 'string' ? 'failed' : 'stale', reason: why });
    }
  }

  // The moves, one script per target.
  await Promise.all(
    [...groupBy(ready, (i) => steps[i].to)].map(async ([name, idx]) => {
      const m = machine(name);
      const chunks: Buffer[] = [];
      // Outermost first, so a folder moves before anything planned under it would.
      const ordered = [...idx].sort((x, y) => (steps[x].path < steps[y].path ? -1 : 1));
      const result = await runScript(buildScriptTarget(m, req.self, req.sshOptions, limits), buildMoveScript(m.root, ordered.map((i) => ({ was: steps[i].was as string, path: steps[i].path }))), (c) => chunks.push(c));
      const status = parseMoveOutput(Buffer.concat(chunks));
      for (const i of ordered) {
        const step = steps[i];
        const s = result.unreachable ? undefined : status.get(step.path);
        if (s === 'ok') outcomes.push({ index: i, step, status: 'done', after: step.source });
        else if (result.unreachable) outcomes.push({ index: i, step, status: 'failed', reason: `${name} unreachable (${result.unreachable})` });
        else if (s === 'exists') outcomes.push({ index: i, step, status: 'stale', reason: `${step.path} appeared on ${name}; a move never replaces anything: left alone` });
        else if (s === 'gone') outcomes.push({ index: i, step, status: 'stale', reason: `${step.was} is no longer on ${name}` });
        else if (s === 'noparent') outcomes.push({ index: i, step, status: 'failed', reason: `the folder of ${step.path} is not on ${name}` });
        else outcomes.push({ index: i, step, status: 'failed', reason: `could not move ${step.was} to ${step.path} on ${name}${result.exitCode === 3 ? ' (root missing)' : ''}` });
      }
    }),
  );
  outcomes.sort((a, b) => a.index - b.index);
  await settle(outcomes);
  for (const o of outcomes) {
    if (o.status === 'done') continue;
    steps.forEach((s, i) => {
      if (s.action === 'move' || s.to !== o.step.to || !(s.path === o.step.path || s.path.startsWith(`${o.step.path}/`))) return;
      problems.set(i, { status: o.status === 'failed' ? 'failed' : 'stale', reason: `not carried out: the move of ${o.step.was} to ${o.step.path} on ${o.step.to} was not done (${o.reason ?? o.status})` });
    });
  }
  return problems;
}

/** A step's outcome as the look after a transfer found it; `saved`: done, but what it replaced was saved meanwhile (not the planned target). */
interface VerifiedOutcome extends StepOutcome {
  readonly saved?: Entry;
}

/** True when the step deliberately replaces a newer target (a conflict resolved by --prefer). */
function olderThanTarget(step: Step): boolean {
  return step.source?.type === 'file' && step.target?.type === 'file' && step.source.mtime < step.target.mtime;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
