// The flags of `blat apply` (and of the commands that apply the same way: resume, restore).
import type { GlobalOptions } from './io.js';

/** The flags of `blat apply`, `blat apply --resume` and `blat restore`. */
export interface ApplyFlags extends GlobalOptions {
  readonly autoApprove?: boolean;
  readonly resume?: boolean;
  readonly json?: boolean;
  readonly full?: boolean;
  readonly prefer?: string;
  /** --keep-both: conflicts between files resolved as --prefer newest, every other version kept beside as a conflict copy. */
  readonly keepBoth?: boolean;
  readonly propagateDeletes?: boolean;
  readonly forceDeletes?: boolean;
  /** --new MACHINE…: take these machines as new (see ScanAndPlanOptions.newMachines). */
  readonly new?: readonly string[];
}
