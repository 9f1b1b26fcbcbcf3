// What an apply is asked to do, and what became of each step (see applySteps.ts).
import type { JournalWriter } from '../state/journal.js';
import type { ScriptSession } from '../transport/runScript.js';
import type { Config, Entry, Plan, Step } from '../types.js';

/** done: carried out as planned; stale: a machine changed since the plan, so left alone; failed: not carried out (unreachable, interrupted, an error). */
export type StepStatus = 'done' | 'failed' | 'stale';

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

/** What applySteps carries out, and where it reports. */
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
  /**
   * Machines this apply has locked and its steps write, their transfer temp folder made (see
   * buildTakeLockScript): folders new there may begin going whole into staging folders before
   * the precheck (see startEarlyWholes).
   */
  readonly ready?: ReadonlySet<string>;
  /** Aborted by Ctrl-C or SIGTERM: transfers and looks are stopped, nothing more is started, every step not done fails as "interrupted". */
  readonly signal?: AbortSignal;
}
