import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { checkSavedPlan } from '../../src/plan/savedPlan.js';
import type { Config, Plan, Step } from '../../src/types.js';
import { f, input, snap } from './builder.js';

const CONFIG = {
  file: '/cfg/blat.yaml',
  version: 1,
  paths: ['docs', 'etc/machine.txt'],
  exclude: [],
  stateDir: '/cfg/.blat',
  concurrency: 8,
  modifyWindow: 1,
  ssh: { options: [], connectTimeout: 5 },
  machines: ['here', 'm1', 'm2', 'dead'].map((name) => ({ name, transport: 'ssh', host: name, root: '/r', aliases: [], ...(name === 'dead' ? { state: 'outofuse' } : {}) })),
  digest: '0'.repeat(64),
} as Config;

/** here holds two new files and a new etc/machine.txt: a pull from m1 and pushes to m1 and m2 (m2 offline: deferred). */
function planned(targets: string[] = []): Plan {
  const etc = targets.length === 0 ? { 'etc/machine.txt': f(2000) } : {}; // a narrowed scan sees only the targets
  const s = snap({
    self: 'here',
    paths: targets.length === 0 ? ['docs', 'etc/machine.txt'] : targets,
    machines: { here: { 'docs/a.txt': f(2000), ...etc }, m1: { 'docs/b.txt': f(2000) }, m2: 'offline', dead: 'outofuse' },
  });
  return buildPlan(input(s, new Map(), { targets }));
}

const withSteps = (plan: Plan, edit: (steps: Step[]) => Step[]): Plan => ({ ...plan, steps: edit([...plan.steps]) });
const push = (path: string, from: string, to: string): Step => ({ action: 'push', path, from, to, source: f(2000), target: null });

describe('checkSavedPlan', () => {
  it('accepts what the planner made, narrowed or not', () => {
    const plan = planned();
    expect(plan.steps.map((s) => `${s.action} ${s.path} ${s.from} ${s.to}`)).toEqual([
      'pull docs/b.txt m1 here',
      'push docs/a.txt here m1',
      'push etc/machine.txt here m1',
    ]);
    expect(plan.deferred.length).toBeGreaterThan(0);
    expect(checkSavedPlan(plan, CONFIG)).toBeUndefined();
    expect(checkSavedPlan(planned(['docs']), CONFIG)).toBeUndefined();
  });

  it.each([
    ['a step outside the paths', (s: Step[]) => [...s, push('other/o.txt', 'here', 'm1')], "step 4 (push other/o.txt here → m1) lies outside the config's paths (docs, etc/machine.txt)"],
    ['a step beside a path', (s: Step[]) => [...s, push('etc/machine.txt2', 'here', 'm1')], "step 4 (push etc/machine.txt2 here → m1) lies outside the config's paths (docs, etc/machine.txt)"],
    ['self at both ends', (s: Step[]) => [...s, push('docs/c', 'here', 'here')], 'step 4 (push docs/c here → here) has here at both ends'],
    ['from == to on another machine', (s: Step[]) => [...s, { ...push('docs/c', 'm1', 'm1'), action: 'trash' as const, source: null }], 'step 4 (trash docs/c m1 → m1) has m1 at both ends'],
    ['an unknown machine', (s: Step[]) => [...s, push('docs/c', 'here', 'ghost')], 'step 4 (push docs/c here → ghost) names ghost, not a machine of the config'],
    ['an outofuse machine', (s: Step[]) => [...s, push('docs/c', 'here', 'dead')], 'step 4 (push docs/c here → dead) names dead, which the config declares out of use'],
    ['a pull not to self', (s: Step[]) => [{ ...s[0], to: 'm2' }, ...s.slice(1)], 'step 1 (pull docs/b.txt m1 → m2) is a pull that does not go to self (here)'],
    ['a push not from self', (s: Step[]) => [...s, push('docs/c', 'm1', 'm2')], 'step 4 (push docs/c m1 → m2) is a push that does not come from self (here)'],
    ['a pull after a push', (s: Step[]) => [...s.slice(1), s[0]], 'step 3 (pull docs/b.txt m1 → here) is a pull after a push or trash step (pulls come first)'],
    ['a repeated step', (s: Step[]) => [...s, s[2]], 'step 4 (push etc/machine.txt here → m1) repeats an earlier step'],
  ])('refuses %s, naming the first offending step', (_name, edit, why) => {
    expect(checkSavedPlan(withSteps(planned(), edit), CONFIG)).toBe(why);
  });

  it("refuses a step outside the plan's own targets, and a target outside the paths", () => {
    const narrowed = planned(['docs']);
    expect(checkSavedPlan(withSteps(narrowed, (s) => [...s, push('etc/machine.txt', 'here', 'm1')]), CONFIG)).toBe(
      "step 3 (push etc/machine.txt here → m1) lies outside the plan's targets (docs)",
    );
    expect(checkSavedPlan({ ...narrowed, targets: ['docs', 'other'] }, CONFIG)).toBe("its target other lies outside the config's paths (docs, etc/machine.txt)");
  });

  it('refuses a deferred item outside the paths, or owed to a machine not in use', () => {
    const plan = planned();
    const d = plan.deferred[0];
    expect(checkSavedPlan({ ...plan, deferred: [{ ...d, path: '.ssh/authorized_keys' }] }, CONFIG)).toBe(
      "deferred item 1 (.ssh/authorized_keys owed to m2) lies outside the config's paths (docs, etc/machine.txt)",
    );
    expect(checkSavedPlan({ ...plan, deferred: [{ ...d, machine: 'dead' }] }, CONFIG)).toMatch(/^deferred item 1 \(.* owed to dead\) names dead, which the config declares out of use$/);
  });
});
