// A controller's steps as an apply through its staging folder carries them out (pure).
import { describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelayedSteps, removeStagingDir, withoutStaging } from '../../src/apply/relay.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import type { Step } from '../../src/types.js';
import { baseOf, dir, f, input, snap } from '../plan/builder.js';

const show = (s: Step): string => `${s.action} ${s.path} ${s.from}>${s.to}`;

describe('buildRelayedSteps', () => {
  it('one pull per copied path into the staging folder (none), then a push per copy, the other steps kept in place', () => {
    const base = baseOf({ a: { docs: dir(), 'docs/gone': f(50) }, b: { docs: dir(), 'docs/gone': f(50) }, c: { docs: dir(), 'docs/gone': f(50) } });
    const plan = buildPlan(
      input(
        snap({ self: 'none', machines: { a: { docs: dir(), 'docs/x': f(100) }, b: { docs: dir(), 'docs/x': f(200), 'docs/gone': f(50) }, c: { docs: dir(), 'docs/gone': f(50) } } }),
        base,
        { propagateDeletes: true },
      ),
    );
    expect(plan.steps.map(show)).toEqual(['trash docs/gone a>b', 'trash docs/gone a>c', 'copy docs/x b>a', 'copy docs/x b>c']);
    const relayed = buildRelayedSteps(plan);
    expect(relayed.steps.map(show)).toEqual(['pull docs/x b>none', 'trash docs/gone a>b', 'trash docs/gone a>c', 'push docs/x none>a', 'push docs/x none>c']);
    expect(relayed.origin).toEqual([-1, 0, 1, 2, 3]);
    // The pull expects the winner on its source and nothing in the staging folder; each push what its copy expected.
    expect(relayed.steps[0]).toMatchObject({ source: plan.steps[2].source, target: null });
    expect(relayed.steps[3]).toMatchObject({ source: plan.steps[2].source, target: plan.steps[2].target, replaces: 'older' });
  });
});

describe('withoutStaging', () => {
  it('leaves the staging folder (none) out of the machines and counts the whole over the others', () => {
    const p = withoutStaging({
      machine: 'none',
      filesDone: 3,
      filesTotal: 5,
      bytesDone: 300,
      bytesTotal: 500,
      machines: [
        { name: 'none', filesDone: 1, filesTotal: 1, bytesDone: 100, bytesTotal: 100 },
        { name: 'a', filesDone: 1, filesTotal: 2, bytesDone: 150, bytesTotal: 200 },
        { name: 'c', filesDone: 1, filesTotal: 2, bytesDone: 50, bytesTotal: 200 },
      ],
    });
    expect(p).toMatchObject({ filesDone: 2, filesTotal: 4, bytesDone: 200, bytesTotal: 400 });
    expect(p.machines?.map((m) => m.name)).toEqual(['a', 'c']);
  });
});

describe('removeStagingDir', () => {
  it('removes the staging folder with what it holds, read-only folders made writable first; nothing when absent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'blat-staging-'));
    try {
      const staging = join(root, 'staging');
      await mkdir(join(staging, 'docs', 'ro', 'deeper'), { recursive: true });
      await writeFile(join(staging, 'docs', 'ro', 'deeper', 'f'), 'x');
      await symlink('/etc', join(staging, 'docs', 'ro', 'link'));
      await chmod(join(staging, 'docs', 'ro', 'deeper'), 0o555);
      await chmod(join(staging, 'docs', 'ro'), 0o555);
      await removeStagingDir(staging);
      expect(await readdir(root)).toEqual([]);
      await removeStagingDir(staging);
      expect((await stat('/etc')).isDirectory()).toBe(true); // the symlink's target untouched
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
