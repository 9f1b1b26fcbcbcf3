// The shells an apply starts early on the plan's machines, for the precheck to use.
import { openScriptSession, type ScriptSession } from '../transport/runScript.js';
import { buildScriptTarget } from '../transport/targets.js';
import type { Plan } from '../types.js';
import type { RunContext } from '../commands/context.js';

/** A shell started on every machine the plan's steps name (see openScriptSession). */
export function openPlanSessions(ctx: RunContext, plan: Plan, sshOptions: readonly string[], signal: AbortSignal | undefined): Map<string, ScriptSession> {
  const names = new Set(plan.steps.flatMap((s) => [s.from, s.to]));
  const limits = { stallTimeout: ctx.config.stallTimeout, signal };
  return new Map(
    ctx.config.machines.filter((m) => names.has(m.name)).map((m) => [m.name, openScriptSession(buildScriptTarget(m, ctx.self.name, sshOptions, limits))] as const),
  );
}
