// Phase 0 of an apply: the versions kept aside (--keep-both), copied before anything else is looked at.
import { TRANSFER_TEMP_DIR } from '../../transport/rsync.js';
import { runScript } from '../../transport/runScript.js';
import { buildScriptTarget } from '../../transport/targets.js';
import { buildAsideScript, parseAsideOutput } from '../../transport/asideScript.js';
import type { StepOutcome } from '../applyTypes.js';
import { groupBy } from '../groupBy.js';
import { describe, sameEntry } from '../preconditions.js';
import { restatMachines } from '../restat.js';
import { settleOutcomes, type ApplyState, type Problem } from './state.js';

/**
 * Carries out the copy-aside steps, one script per machine (machines in parallel) after a look at
 * each path and name: the version there must still be the planned one, the name free. Settles
 * them, and returns the other steps that must not run (by index): those of a path whose copy was
 * not made (the version would be replaced without its copy), and those spreading that copy.
 */
export async function applyCopyAside(state: ApplyState): Promise<Map<number, Problem>> {
  const { req, steps } = state;
  const blocked = new Map<number, Problem>();
  const asides = steps.flatMap((st, i) => (st.action === 'copy-aside' && st.as !== undefined ? [i] : []));
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
  await settleOutcomes(state, outcomes);
  for (const o of outcomes) {
    if (o.status === 'done') continue;
    const as = o.step.as as string;
    steps.forEach((st, i) => {
      if (st.action === 'copy-aside' || (st.path !== o.step.path && st.path !== as)) return;
      blocked.set(i, { status: o.status === 'failed' ? 'failed' : 'stale', reason: `not carried out: ${o.step.from}'s version of ${o.step.path} was not kept as ${as} (${o.reason ?? o.status})` });
    });
  }
  return blocked;
}
