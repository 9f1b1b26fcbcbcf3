// A controller's plans (self: none): the same decisions, each transfer a copy between two machines.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { checkSavedPlan } from '../../src/plan/savedPlan.js';
import { summarisePlan } from '../../src/plan/summary.js';
import type { Config, Plan, Step } from '../../src/types.js';
import { baseOf, dir, f, input, prefer, snap, type Entries, type MachineSpec } from './builder.js';

const X = 'docs/x';
const show = (s: Step): string => `${s.action} ${s.path} ${s.from}>${s.to}${s.replaces ? ` (${s.replaces})` : ''}`;
const at = (e: ReturnType<typeof f>): Entries => ({ docs: dir(), [X]: e });

function plan(machines: Readonly<Record<string, MachineSpec>>, base: Readonly<Record<string, Entries>> = {}, options = {}): Plan {
  return buildPlan(input(snap({ self: 'none', machines }), baseOf(base), options));
}

describe('buildPlan for a controller (self: none)', () => {
  it('copies the newest version from its first holder to each machine lacking it; no pull, no push', () => {
    const p = plan({ a: at(f(100)), b: at(f(200)), c: { docs: dir() } });
    expect(p.self).toBe('none');
    expect(p.steps.map(show)).toEqual(['copy docs/x b>a (older)', 'copy docs/x b>c']);
    expect(summarisePlan(p)).toMatchObject({ pull: 0, push: 0, copy: 2, kept: 1 });
  });

  it('takes an edit since the base over a newer stale copy, as any plan does', () => {
    const base = { a: at(f(100)), b: at(f(100)), c: at(f(100)) };
    const p = plan({ a: at(f(300)), b: at(f(100)), c: at(f(100)) }, base);
    expect(p.steps.map(show)).toEqual(['copy docs/x a>b (older)', 'copy docs/x a>c (older)']);
  });

  it('reports a conflict and makes no step; --prefer MACHINE copies that version, the replaced one marked changed', () => {
    const base = { a: at(f(100)), b: at(f(100)), c: at(f(100)) };
    const machines = { a: at(f(200)), b: at(f(300)), c: at(f(100)) };
    const p = plan(machines, base);
    expect(p.conflicts.map((c) => c.path)).toEqual([X]);
    expect(p.steps).toEqual([]);
    const preferred = plan(machines, base, { prefer: prefer.machine('a') });
    expect(preferred.steps.map(show)).toEqual(['copy docs/x a>b (changed)', 'copy docs/x a>c (older)']);
  });

  it('holds a deletion, and propagates it with trash steps when asked', () => {
    const base = { a: at(f(100)), b: at(f(100)), c: at(f(100)) };
    const machines = { a: { docs: dir() }, b: at(f(100)), c: at(f(100)) };
    expect(plan(machines, base).deletions).toEqual([{ path: X, deletedOn: ['a'], heldOn: ['b', 'c'], propagated: false }]);
    expect(plan(machines, base, { propagateDeletes: true }).steps.map(show)).toEqual(['trash docs/x a>b (older)', 'trash docs/x a>c (older)']);
  });

  it('owes an offline machine the winner, compared with the base it holds', () => {
    const base = { a: at(f(100)), b: at(f(100)), c: at(f(100)) };
    const p = plan({ a: at(f(200)), b: at(f(100)), c: 'offline' }, base);
    expect(p.steps.map(show)).toEqual(['copy docs/x a>b (older)']);
    expect(p.deferred.map((d) => `${d.machine} ${d.path}`)).toEqual(['c docs/x']);
    // In sync on the online machines: an offline one whose base lacks it is owed it still.
    const same = plan({ a: at(f(100)), b: at(f(100)), c: 'offline' }, { c: { docs: dir() } });
    expect(same.steps).toEqual([]);
    expect(same.deferred.map((d) => `${d.machine} ${d.path}`)).toEqual(['c docs/x']);
  });

  it('--keep-both: each kept version copied aside on its holder, then copied to the others like the winner', () => {
    const base = { a: at(f(100)), b: at(f(100)) };
    const p = plan({ a: at(f(1680000000)), b: at(f(1680000100)) }, base, { keepBoth: true });
    expect(p.steps.map((s) => s.action)).toEqual(['copy-aside', 'copy', 'copy']);
    const aside = p.steps[0];
    expect(p.steps.slice(1).map(show)).toEqual([`copy docs/x b>a (changed)`, `copy ${aside.as} a>b`]);
  });

  it('a saved controller plan is accepted with copies; a copy in a plan made on a machine is refused', () => {
    const config = { paths: ['docs'], machines: ['a', 'b'].map((name) => ({ name, transport: 'ssh', host: name, root: '/r', aliases: [] })) } as unknown as Config;
    const p = plan({ a: at(f(100)), b: at(f(200)) });
    expect(checkSavedPlan(p, config)).toBeUndefined();
    expect(checkSavedPlan({ ...p, self: 'a' }, config)).toMatch(/is a copy, but the plan was made on a, not by a controller/);
    // A hand-edited plan whose copies of one path come from two machines.
    const three = plan({ a: at(f(100)), b: at(f(200)), c: at(f(50)) });
    expect(three.steps.map(show)).toEqual(['copy docs/x b>a (older)', 'copy docs/x b>c (older)']);
    const withC = { ...config, machines: [...config.machines, { ...config.machines[0], name: 'c' }] };
    expect(checkSavedPlan(three, withC)).toBeUndefined();
    expect(checkSavedPlan({ ...three, steps: [three.steps[0], { ...three.steps[1], from: 'a' }] }, withC)).toMatch(
      /copies from a, but an earlier copy of the path from b \(a path's copies come from one machine\)/,
    );
  });
});
