// Approval of an apply: refused early when it cannot be asked for.
import { UsageError } from '../errors.js';
import type { CommandIO } from '../commands/io.js';

/** Refuses early (before contacting anything) when approval is needed but cannot be asked. */
export function requireApprovalPossible(flags: { readonly autoApprove?: boolean }, io: CommandIO): void {
  if (!flags.autoApprove && !io.stdinIsTTY) {
    throw new UsageError('no terminal to ask for approval: pass --auto-approve, or save a plan with `blat plan --out FILE` and run `blat apply FILE`');
  }
}
