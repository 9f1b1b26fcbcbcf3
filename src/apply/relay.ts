// A controller's apply (self: none): each copy step relayed through a staging folder of the runner,
// in its state folder: pulled there from the machine holding the winner, pushed on to the stale one.
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CONTROLLER } from '../config/self.js';
import { BlatError } from '../errors.js';
import { describeError } from '../state/fsErrors.js';
import type { JournalWriter } from '../state/journal.js';
import type { JournalRecord, MachineConfig, Plan, Step } from '../types.js';
import type { ApplyProgress, ApplyRequest, StepOutcome } from './applyTypes.js';

/** The staging folder of a controller's apply in `stateDir` (made and removed by applyRelayed; nothing else is written on the runner outside the state folder). */
export function stagingDir(stateDir: string): string {
  return join(stateDir, 'staging');
}

/** A controller's steps as an apply through self carries them out, and where each came from. */
export interface RelayedSteps {
  /** The plan's steps with each path's copies as one pull into the staging folder (self, CONTROLLER) and one push from it per copy. */
  readonly steps: readonly Step[];
  /** origin[j]: the index in the plan of the step steps[j] stands for; -1 for a pull (its copies carry its outcome). */
  readonly origin: readonly number[];
}

/**
 * The steps of a controller's plan as pulls and pushes through self (CONTROLLER, whose root is the
 * staging folder): copy-aside and move steps first, as they are; then, for each path with copy
 * steps, one pull from their source (nothing expected in the staging folder); then the other steps
 * in the plan's order, each copy a push from self with the copy's expected entries. Pure.
 */
export function buildRelayedSteps(plan: Plan): RelayedSteps {
  const steps: Step[] = [];
  const origin: number[] = [];
  const first = plan.steps.map((s, i) => [s, i] as const);
  for (const [s, i] of first) if (s.action === 'copy-aside' || s.action === 'move') (steps.push(s), origin.push(i));
  const pulled = new Set<string>();
  for (const [s] of first) {
    if (s.action !== 'copy' || pulled.has(s.path)) continue;
    pulled.add(s.path);
    steps.push(Object.freeze({ action: 'pull' as const, path: s.path, from: s.from, to: CONTROLLER, source: s.source, target: null }));
    origin.push(-1);
  }
  for (const [s, i] of first) {
    if (s.action === 'copy-aside' || s.action === 'move') continue;
    steps.push(s.action === 'copy' ? Object.freeze({ ...s, action: 'push' as const, from: CONTROLLER }) : s);
    origin.push(i);
  }
  return { steps, origin };
}

/**
 * Carries out a controller's plan with `run` (applySteps) through a staging folder made empty in the
 * state folder (a leftover of a killed run removed first) and removed at the end, whatever happens.
 * The journal and onOutcome hear of the plan's steps only (a copy's outcome is its push's; a pull
 * that failed fails its pushes), and so do the returned outcomes (indexes into `req.plan.steps`).
 */
export async function applyRelayed(req: ApplyRequest, run: (req: ApplyRequest) => Promise<StepOutcome[]>): Promise<StepOutcome[]> {
  const { plan, config } = req;
  const root = stagingDir(config.stateDir);
  const relayed = buildRelayedSteps(plan);
  const planIndex = new Map<string, number>();
  relayed.steps.forEach((s, j) => {
    if (relayed.origin[j] !== -1) planIndex.set(keyOf(s), relayed.origin[j]);
  });
  const toPlan = (step: Step): Step | undefined => {
    const i = planIndex.get(keyOf(step));
    return i === undefined ? undefined : plan.steps[i];
  };
  /** The pulls' outcomes, by path: a push the pull's outcome blocked says why the pull did not happen. */
  const pulls = new Map<string, StepOutcome>();
  const reasonOf = (step: Step, reason: string): string => {
    const pull = pulls.get(step.path);
    if (step.action !== 'push' || pull === undefined || !reason.startsWith('not pushed: the pull of this path')) return reason;
    return `not copied: the pull from ${pull.step.from} into the staging folder was ${pull.status}${pull.reason ? ` (${pull.reason})` : ''}`;
  };
  const toPlanOutcome = (o: StepOutcome): StepOutcome | undefined => {
    const i = relayed.origin[o.index];
    if (i === undefined || i === -1) return undefined;
    return { ...o, index: i, step: plan.steps[i], ...(o.reason !== undefined ? { reason: reasonOf(o.step, o.reason) } : {}) };
  };
  const mapRecord = (record: JournalRecord): JournalRecord | undefined => {
    if (!('step' in record)) return record;
    const step = toPlan(record.step);
    if (step === undefined) return undefined; // a pull's: its copies say it
    return 'reason' in record ? { ...record, step, reason: reasonOf(record.step, record.reason) } : { ...record, step };
  };
  const journal: JournalWriter = {
    file: req.journal.file,
    append: (record) => {
      const mapped = mapRecord(record);
      return mapped === undefined ? Promise.resolve() : req.journal.append(mapped);
    },
    appendMany: (records) => req.journal.appendMany(records.flatMap((r) => mapRecord(r) ?? [])),
    close: () => req.journal.close(),
  };
  const staging: MachineConfig = Object.freeze({ name: CONTROLLER, transport: 'local' as const, root, aliases: Object.freeze([]) });
  try {
    await removeStagingDir(root);
    await mkdir(root, { recursive: true });
    // rsync makes no missing parent folder (--no-implied-dirs): the staging folder holds each pulled
    // path's, but those pulled themselves (a new folder: its pull expects nothing there).
    const pulled = new Set(relayed.steps.filter((s) => s.action === 'pull').map((s) => s.path));
    const parents = new Set<string>();
    for (const path of pulled) {
      let d = dirname(path);
      while (d !== '.' && pulled.has(d)) d = dirname(d);
      if (d !== '.') parents.add(d);
    }
    for (const d of parents) await mkdir(join(root, d), { recursive: true });
  } catch (error) {
    throw new BlatError(`${root}: cannot make the staging folder (${describeError(error)})`, { cause: error });
  }
  try {
    const outcomes = await run({
      ...req,
      config: { ...config, machines: [...config.machines, staging] },
      self: CONTROLLER,
      plan: { ...plan, self: CONTROLLER, steps: relayed.steps },
      journal,
      onOutcome: (o) => {
        if (o.step.action === 'pull') pulls.set(o.step.path, o);
        const mapped = toPlanOutcome(o);
        if (mapped) req.onOutcome?.(mapped);
      },
      onProgress: req.onProgress && ((p) => req.onProgress!(withoutStaging(p))),
    });
    return outcomes.flatMap((o) => toPlanOutcome(o) ?? []).sort((a, b) => a.index - b.index);
  } finally {
    await removeStagingDir(root).catch(() => undefined);
  }
}

/**
 * Removes the staging folder `root` and all it holds (nothing when it is absent). Its folders are
 * made writable first: a folder pulled read-only (mode 0555) keeps that mode there, and a runner
 * that is not root could not empty it.
 */
export async function removeStagingDir(root: string): Promise<void> {
  const open = async (dir: string): Promise<void> => {
    const st = await lstat(dir).catch(() => null);
    if (st === null || !st.isDirectory()) return;
    if ((st.mode & 0o700) !== 0o700) await chmod(dir, (st.mode & 0o7777) | 0o700);
    for (const name of await readdir(dir)) await open(join(dir, name));
  };
  await open(root);
  await rm(root, { recursive: true, force: true });
}

/** Progress as the plan's copies make it: the staging folder's line left out, and the whole counted over the machines written (a pull into it is half a copy). */
export function withoutStaging(p: ApplyProgress): ApplyProgress {
  if (p.machines === undefined) return p;
  const machines = p.machines.filter((m) => m.name !== CONTROLLER);
  const sum = (key: 'filesDone' | 'filesTotal' | 'bytesDone' | 'bytesTotal') => machines.reduce((n, m) => n + m[key], 0);
  return { ...p, filesDone: sum('filesDone'), filesTotal: sum('filesTotal'), bytesDone: sum('bytesDone'), bytesTotal: sum('bytesTotal'), machines };
}

/** (action, path, to): unique among a plan's steps. */
function keyOf(s: Step): string {
  return `${s.action}\0${s.path}\0${s.to}`;
}
