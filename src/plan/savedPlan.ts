// A saved plan is data from outside (copied, hand-edited, replayed): before it is applied, every
// step must be one the planner could have made with this config.
import { buildUnderTest, normaliseSyncPath } from '../config/paths.js';
import { CONTROLLER } from '../config/self.js';
import type { Config, Plan, Step } from '../types.js';
import { isConflictNameOf } from './conflictName.js';

/** A step as the refusal names it: `push docs/a.txt here → m1`, `copy-aside docs/a.txt on m1 as docs/a.conflict-….txt`. */
function describeStep(s: Step): string {
  if (s.action === 'copy-aside') return `${s.action} ${s.path} on ${s.from} as ${s.as ?? '?'}`;
  if (s.action === 'move') return `move ${s.was ?? '?'} → ${s.path} on ${s.to}`;
  return `${s.action} ${s.path} ${s.from} → ${s.to}`;
}

/** What is wrong with a copy-aside step (see Step): its place among the steps, its machines, its entries, its name. */
function checkAside(s: Step, pastAsides: boolean): string | undefined {
  if (pastAsides) return 'is a copy-aside after another step (copy-aside steps come first)';
  if (s.from !== s.to) return 'is a copy-aside between two machines (it copies on one)';
  if (s.source?.type !== 'file' || s.target !== null || s.replaces !== undefined) return 'is a copy-aside of something other than a file, or over something';
  if (s.as === undefined || !isConflictNameOf(s.path, s.as)) return 'is a copy-aside to a name that is not a conflict copy beside the path';
  return undefined;
}

/** What is wrong with a move step (see Step): its place among the steps, its entries, its old path. */
function checkMove(s: Step, pastMoves: boolean): string | undefined {
  if (pastMoves) return 'is a move after a pull, push or trash step (moves come before them)';
  if (s.source === null || s.target !== null || s.replaces !== undefined) return 'is a move of nothing, or over something';
  if (s.was === undefined || s.was === s.path || s.path.startsWith(`${s.was}/`)) return 'is a move without an old path, or into itself';
  return undefined;
}

/**
 * The first reason the saved plan cannot be applied with `config`, as a phrase naming the
 * offending target, step or deferred item; undefined when there is none. A step is refused when
 * it names a machine the config does not have or declares out of use, has one machine at both
 * ends, breaks the Step invariants (a pull goes to self, a push comes from self, pulls come
 * first, copies only in a controller's plan and each path's from one machine, (action, path, to) is unique), or lies outside the config's paths or the plan's targets.
 */
export function checkSavedPlan(plan: Plan, config: Config): string | undefined {
  const known = new Set(config.machines.map((m) => m.name));
  const outOfUse = new Set(config.machines.filter((m) => m.state === 'outofuse').map((m) => m.name));
  const machineProblem = (name: string): string | undefined =>
    !known.has(name) ? `names ${name}, not a machine of the config` : outOfUse.has(name) ? `names ${name}, which the config declares out of use` : undefined;
  const inPaths = buildUnderTest(config.paths);
  for (const t of plan.targets) {
    if (normaliseSyncPath(t) !== t || !inPaths(t)) return `its target ${t} lies outside the config's paths (${config.paths.join(', ')})`;
  }
  const inTargets = plan.targets.length > 0 ? buildUnderTest(plan.targets) : () => true;
  const placeProblem = (path: string): string | undefined =>
    !inPaths(path) ? `lies outside the config's paths (${config.paths.join(', ')})`
    : !inTargets(path) ? `lies outside the plan's targets (${plan.targets.join(', ')})`
    : undefined;

  const seen = new Set<string>();
  /** A controller's copies: path → the machine they come from. */
  const copiedFrom = new Map<string, string>();
  let pastPulls = false;
  let pastAsides = false;
  let pastMoves = false;
  // Conflict copies (--keep-both) lie beside their path: inside the config's paths, perhaps outside a target that names the path itself.
  const copies = new Set(plan.steps.flatMap((s) => (s.action === 'copy-aside' && s.as !== undefined ? [s.as] : [])));
  for (let i = 0; i < plan.steps.length; i++) {
    const s = plan.steps[i];
    const key = `${s.action}\0${s.path}\0${s.to}`;
    const why =
      machineProblem(s.from) ??
      machineProblem(s.to) ??
      (s.action === 'copy-aside' ? checkAside(s, pastAsides) : undefined) ??
      (s.action !== 'copy-aside' && s.as !== undefined ? 'names a conflict copy (as) but is not a copy-aside' : undefined) ??
      (s.action === 'move' ? checkMove(s, pastMoves) ?? (s.was === undefined ? undefined : placeProblem(s.was)) : undefined) ??
      (s.action !== 'move' && s.was !== undefined ? 'names an old path (was) but is not a move' : undefined) ??
      (s.from === s.to && s.action !== 'copy-aside' ? `has ${s.from} at both ends` : undefined) ??
      (s.action === 'pull' && s.to !== plan.self ? `is a pull that does not go to self (${plan.self})` : undefined) ??
      (s.action === 'push' && s.from !== plan.self ? `is a push that does not come from self (${plan.self})` : undefined) ??
      (s.action === 'copy' && plan.self !== CONTROLLER ? `is a copy, but the plan was made on ${plan.self}, not by a controller (self: ${CONTROLLER})` : undefined) ??
      ((s.action === 'pull' || s.action === 'push') && plan.self === CONTROLLER ? `is a ${s.action}, but a controller's plan (self: ${CONTROLLER}) has copies instead` : undefined) ??
      (s.action === 'copy' && (copiedFrom.get(s.path) ?? s.from) !== s.from ? `copies from ${s.from}, but an earlier copy of the path from ${copiedFrom.get(s.path)} (a path's copies come from one machine)` : undefined) ??
      (s.action === 'pull' && pastPulls ? 'is a pull after a push or trash step (pulls come first)' : undefined) ??
      (seen.has(key) ? 'repeats an earlier step' : undefined) ??
      (copies.has(s.path) && s.action !== 'copy-aside' ? (inPaths(s.path) ? undefined : placeProblem(s.path)) : placeProblem(s.path));
    if (why !== undefined) return `step ${i + 1} (${describeStep(s)}) ${why}`;
    if (s.action === 'copy') copiedFrom.set(s.path, s.from);
    if (s.action !== 'copy-aside') pastAsides = true;
    if (s.action !== 'copy-aside' && s.action !== 'move') pastMoves = true;
    if (s.action !== 'pull' && s.action !== 'copy-aside' && s.action !== 'move') pastPulls = true;
    seen.add(key);
  }
  for (let i = 0; i < plan.deferred.length; i++) {
    const d = plan.deferred[i];
    const why = machineProblem(d.machine) ?? (d.machine === plan.self ? 'is owed to self' : undefined) ?? placeProblem(d.path);
    if (why !== undefined) return `deferred item ${i + 1} (${d.path} owed to ${d.machine}) ${why}`;
  }
  return undefined;
}
