// Which folders new on a receiver may go whole, decided from the plan alone.
import { describe, expect, it } from 'vitest';
import { buildWholeCandidates } from '../../../src/apply/phases/wholeCandidates.js';
import { WHOLE_SUBTREES_MIN } from '../../../src/apply/subtrees.js';
import type { Config, Entry, Step } from '../../../src/types.js';
import { dir, f } from '../../plan/builder.js';

const step = (action: Step['action'], path: string, source: Entry | null, from = 'here', to = 'm2'): Step => ({ action, path, from, to, source, target: null });
const config = (renameKeepsMtime?: boolean) => ({ machines: [{ name: 'here' }, { name: 'm2', renameKeepsMtime }] }) as unknown as Config;
/** A push of a new folder `root` with `n` files in it. */
const newFolder = (root: string, n: number): Step[] => [step('push', root, dir()), ...Array.from({ length: n }, (_, k) => step('push', `${root}/f${k}`, f(k)))];

describe('buildWholeCandidates', () => {
  it('a new folder with enough under it: a candidate, its source listed as a tree, the steps under it not looked at one by one', () => {
    const steps = [step('push', 'docs/old', f(1)), ...newFolder('docs/new', WHOLE_SUBTREES_MIN)];
    const { candidates, listedAsTree, trees } = buildWholeCandidates(config(), steps);
    expect(candidates).toEqual([{ from: 'here', to: 'm2', subtree: { root: 'docs/new', members: steps.map((_, i) => i).slice(1) } }]);
    expect([...listedAsTree]).toEqual(steps.map((_, i) => i).slice(2));
    expect(trees).toEqual(new Map([['here', new Set(['docs/new'])]]));
  });

  it('none with too few under them, into a receiver where a rename loses the mtime, or for pushes of paths pulled first', () => {
    const few = newFolder('docs/new', WHOLE_SUBTREES_MIN - 2);
    expect(buildWholeCandidates(config(), few).candidates).toEqual([]);
    const many = newFolder('docs/new', WHOLE_SUBTREES_MIN);
    expect(buildWholeCandidates(config(false), many).candidates).toEqual([]);
    const relayed = [...many.map((s) => ({ ...s, action: 'pull' as const, from: 'm3', to: 'here' })), ...many];
    expect(buildWholeCandidates(config(), relayed).candidates.map((c) => `${c.from}>${c.to}`)).toEqual(['m3>here']);
  });

  it('none for a folder whose parent another batch creates', () => {
    const steps = [step('pull', 'docs/top', dir(), 'm3', 'here'), ...newFolder('docs/top/new', WHOLE_SUBTREES_MIN).map((s) => ({ ...s, action: 'pull' as const, from: 'm2', to: 'here' }))];
    expect(buildWholeCandidates(config(), steps).candidates).toEqual([]);
  });
});
