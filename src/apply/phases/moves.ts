// Phase 1 of an apply: the moves, before anything is looked at or sent (what is sent into a moved folder needs it there).
import { runScript } from '../../transport/runScript.js';
import { buildScriptTarget } from '../../transport/targets.js';
import { buildMoveHashScript, buildMoveScript, MOVE_HASH_MIN_BYTES, parseMoveHashOutput, parseMoveOutput } from '../../transport/moveScript.js';
import type { Entry } from '../../types.js';
import { sameVersion } from '../../plan/versions.js';
import type { StepOutcome } from '../applyTypes.js';
import { groupBy } from '../groupBy.js';
import { describe, sameEntry } from '../preconditions.js';
import { restatMachines } from '../restat.js';
import { settleOutcomes, type ApplyState, type Problem } from './state.js';

/**
 * Carries out the move steps (not blocked by `blocked`): one look at the involved paths on every
 * machine (the mover's new path, the target's old and new paths), a content check of the files over
 * 1 MiB (sha256 on both ends, one round trip each, only when some move holds one or is a folder),
 * then one move script per target (machines in parallel). A move runs only when the mover still
 * holds the version at the new path, the target the planned version at the old path and nothing at
 * the new one. Settles them, and returns the other steps that must not run (by index): those to
 * the same target under a new path whose move was not done (their folder is not there).
 */
export async function applyMoves(state: ApplyState, blocked: ReadonlyMap<number, Problem>): Promise<Map<number, Problem>> {
  const { req, steps } = state;
  const problems = new Map<number, Problem>();
  const moves = steps.flatMap((st, i) => (st.action === 'move' && st.was !== undefined && !blocked.has(i) ? [i] : []));
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
  await settleOutcomes(state, outcomes);
  for (const o of outcomes) {
    if (o.status === 'done') continue;
    steps.forEach((st, i) => {
      if (st.action === 'move' || st.to !== o.step.to || !(st.path === o.step.path || st.path.startsWith(`${o.step.path}/`))) return;
      problems.set(i, { status: o.status === 'failed' ? 'failed' : 'stale', reason: `not carried out: the move of ${o.step.was} to ${o.step.path} on ${o.step.to} was not done (${o.reason ?? o.status})` });
    });
  }
  return problems;
}
