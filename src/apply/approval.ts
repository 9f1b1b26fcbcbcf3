// Approval of an apply: refused early when it cannot be asked for, asked for once the plan is shown.
import { UsageError } from '../errors.js';
import { describeTransfers } from '../render/summary.js';
import type { Plan } from '../types.js';
import type { CommandIO } from '../commands/io.js';

/** Refuses early (before contacting anything) when approval is needed but cannot be asked. */
export function requireApprovalPossible(flags: { readonly autoApprove?: boolean }, io: CommandIO): void {
  if (!flags.autoApprove && !io.stdinIsTTY) {
    throw new UsageError('no terminal to ask for approval: pass --auto-approve, or save a plan with `blat plan --out FILE` and run `blat apply FILE`');
  }
}

/**
 * Whether to apply the plan: asked on the terminal (yes or y), unless approved already or the
 * plan has no steps. A refusal is said on stderr ("nothing was changed").
 */
export async function readApproval(plan: Plan, flags: { readonly autoApprove?: boolean }, io: CommandIO): Promise<boolean> {
  if (plan.steps.length === 0 || flags.autoApprove) return true;
  const answer = await io.ask(`\nApply: ${describeTransfers(plan)}? [y/N] `);
  if (/^y(es)?$/i.test(answer.trim())) return true;
  io.stderr('Apply cancelled; nothing was changed.\n');
  return false;
}
