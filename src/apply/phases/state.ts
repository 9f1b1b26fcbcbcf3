// What the phases of one apply share (see applySteps.ts), and what every phase does with it.
import type { StartedRsync } from '../../transport/rsync.js';
import type { ScriptTarget } from '../../transport/runScript.js';
import { buildScriptTarget } from '../../transport/targets.js';
import type { JournalRecord, MachineConfig, Step } from '../../types.js';
import type { ApplyRequest, StepOutcome } from '../applyTypes.js';
import type { NewSubtree } from '../subtrees.js';
import type { WholeSend } from './transferWhole.js';

/** Why a step is not carried out (see checkPreconditions). */
export interface Problem {
  readonly status: 'stale' | 'failed';
  readonly reason: string;
}

/** The key of the batch of steps from `from` to `to` (`wholes`, `earlyWholes`). */
export function batchKeyOf(from: string, to: string): string {
  return `${from}\0${to}`;
}

/** A folder new on a receiver that may go whole (see buildWholeCandidates). */
export interface WholeCandidate {
  /** The machine it is sent from. */
  readonly from: string;
  /** The receiver, where the folder is new. */
  readonly to: string;
  readonly subtree: NewSubtree;
}

/** Files and bytes of the transfers: the totals, and those settled so far. */
export interface Counts {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

/**
 * The state the phases of one apply share, built by applySteps. Invariants:
 * - `outcomes[i]` is what became of `steps[i]`: set once, by settleOutcomes, which journals it.
 *   A step that has an outcome is never started again.
 * - `problems` holds the steps that are not carried out, and why. The precheck fills it (with
 *   what copy-aside and the moves blocked) and settles them all, before any pull or push
 *   starts; pulls and pushes only start steps not in it.
 * - `wholes` is filled by the precheck, before any transfer: the candidates whose source was
 *   found exactly as planned and none of whose members has a problem. Empty until then.
 * - `early` holds rsyncs to push targets started before the precheck, each waiting for its list:
 *   the first listed push from self to that target takes its rsync (and deletes it); those never
 *   taken are cancelled when the apply ends.
 * - `earlyWholes` holds whole sends begun before the precheck (see startEarlyWholes), by batch
 *   key: they write only into their staging folders. The batch's transfer takes its send (and
 *   deletes it), placing only what the precheck put in `wholes`; those never taken are stopped
 *   and their staging folders removed when the apply ends.
 * - The `Done` counts (`progress`, `perMachine`) only grow, in settleCounted; the totals are set
 *   once, by the precheck (`totalsKnown`: nothing is reported before). `inFlight` holds the
 *   bytes rsync has sent of transfers still running (`from>to#group`), deleted when each ends.
 */
export interface ApplyState {
  readonly req: ApplyRequest;
  readonly steps: readonly Step[];
  readonly outcomes: (StepOutcome | undefined)[];
  readonly problems: Map<number, Problem>;
  readonly candidates: readonly WholeCandidate[];
  /** Batch key (`from\0to`) → the subtrees sent whole. */
  readonly wholes: Map<string, NewSubtree[]>;
  readonly early: Map<string, StartedRsync>;
  readonly earlyWholes: Map<string, WholeSend>;
  readonly progress: Counts;
  totalsKnown: boolean;
  readonly perMachine: Map<string, Counts>;
  readonly inFlight: Map<string, number>;
  /** Staging folders named so far (`stage-RUN-N`, one per whole transfer: pulls from several machines may fill self's at once). */
  stagings: number;
}

/** The configured machine named `name` (every step's machines are configured). */
export function machineOf(state: ApplyState, name: string): MachineConfig {
  return state.req.config.machines.find((m) => m.name === name)!;
}

/** The stall timeout and the interrupt signal, for every process the apply starts. */
export function runLimitsOf(state: ApplyState): { readonly stallTimeout: number; readonly signal: AbortSignal | undefined } {
  return { stallTimeout: state.req.config.stallTimeout, signal: state.req.signal };
}

/** Where scripts run on `name`. */
export function scriptTargetOf(state: ApplyState, name: string): ScriptTarget {
  return buildScriptTarget(machineOf(state, name), state.req.self, state.req.sshOptions, runLimitsOf(state));
}

/** True once Ctrl-C or SIGTERM came: nothing more is started. */
export function isInterrupted(state: ApplyState): boolean {
  return state.req.signal?.aborted === true;
}

/** Records the outcomes (reported to onOutcome) and journals them, durably. */
export async function settleOutcomes(state: ApplyState, list: StepOutcome[]): Promise<void> {
  for (const o of list) {
    state.outcomes[o.index] = o;
    state.req.onOutcome?.(o);
  }
  const t = state.req.now;
  await state.req.journal.appendMany(
    list.map((o): JournalRecord =>
      o.status === 'done'
        ? { t: t(), event: 'done', run: state.req.run, step: o.step }
        : { t: t(), event: o.status, run: state.req.run, step: o.step, reason: o.reason ?? '' },
    ),
  );
}

/** The outcomes so far, in the plan's order. */
export function knownOutcomes(state: ApplyState): StepOutcome[] {
  return state.outcomes.filter((o): o is StepOutcome => o !== undefined);
}

/** After an interrupt: every step without an outcome failed as "interrupted"; all the outcomes. */
export async function settleInterrupted(state: ApplyState): Promise<StepOutcome[]> {
  await settleOutcomes(state, state.steps.flatMap((step, index): StepOutcome[] => (state.outcomes[index] ? [] : [{ index, step, status: 'failed', reason: 'interrupted' }])));
  return knownOutcomes(state);
}
