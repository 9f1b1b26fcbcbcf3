import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { adoptOtherForms, findCollisions, foldName } from '../../src/plan/nameFolding.js';
import { dir, f, input, snap } from './builder.js';

const NFC = 'docs/caf\u00e9';
const NFD = 'docs/cafe\u0301';

describe('foldName', () => {
  it('folds case and Unicode form only where asked', () => {
    expect(foldName('A/B', { case: true })).toBe('a/b');
    expect(foldName(NFD, { unicode: true })).toBe(NFC);
    expect(foldName(NFD, { case: true })).toBe(NFD);
    expect(foldName('A', {})).toBe('A');
  });
});

describe('planning with a machine that folds names', () => {
  it('README and readme held elsewhere collide on a case-insensitive machine: conflicts naming it, nothing written there', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(), 'docs/README': f(100), 'docs/readme': f(200), 'docs/other': f(300) }, usb: { docs: dir() } } });
    const plan = buildPlan(input(snapshot, new Map(), { folding: { usb: { case: true } } }));
    expect(plan.conflicts.map((c) => [c.path, c.reason])).toEqual([
      ['docs/README', 'names collide on usb, which folds them: docs/README, docs/readme'],
      ['docs/readme', 'names collide on usb, which folds them: docs/README, docs/readme'],
    ]);
    expect(plan.steps.map((s) => s.path)).toEqual(['docs/other']);
    // Without the machine's folding, both would be pushed there, one over the other.
    const blind = buildPlan(input(snapshot));
    expect(blind.steps.map((s) => s.path)).toEqual(['docs/README', 'docs/other', 'docs/readme']);
  });

  it('folders whose names collide: both listed, nothing under either one moved', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(), 'docs/Photos': dir(), 'docs/Photos/a.jpg': f(100) }, m2: { docs: dir(), 'docs/photos': dir(), 'docs/photos/b.jpg': f(100) }, usb: { docs: dir() } } });
    const plan = buildPlan(input(snapshot, new Map(), { folding: { usb: { case: true } } }));
    expect(plan.conflicts.map((c) => c.path)).toEqual(['docs/Photos', 'docs/photos']);
    expect(plan.steps).toEqual([]);
  });

  it('café in NFC here and in NFD on a normalizing machine is one file: in sync', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(), [NFC]: f(100) }, mac: { docs: dir(), [NFD]: f(100) } } });
    const plan = buildPlan(input(snapshot, new Map(), { folding: { mac: { unicode: true } } }));
    expect(plan.steps).toEqual([]);
    expect(plan.conflicts).toEqual([]);
    expect(plan.inSync).toBe(2);
    // Taken as two files, each would be copied to the other, forever.
    expect(buildPlan(input(snapshot)).steps.length).toBe(2);
  });

  it('a newer café on the normalizing machine is pushed under the name the others hold', () => {
    const snapshot = snap({ self: 'mac', machines: { mac: { docs: dir(), [NFD]: f(200) }, here: { docs: dir(), [NFC]: f(100) } } });
    const plan = buildPlan(input(snapshot, new Map(), { folding: { mac: { unicode: true } } }));
    expect(plan.steps.map((s) => [s.action, s.path, s.to])).toEqual([['push', NFC, 'here']]);
  });

  it('café in NFC and in NFD on two machines that keep bytes collide on the normalizing one', () => {
    const snapshot = snap({ self: 'here', machines: { here: { docs: dir(), [NFC]: f(100) }, m2: { docs: dir(), [NFD]: f(100) }, mac: { docs: dir() } } });
    const plan = buildPlan(input(snapshot, new Map(), { folding: { mac: { unicode: true } } }));
    expect(plan.conflicts.map((c) => c.path).sort()).toEqual([NFC, NFD].sort());
    expect(plan.steps).toEqual([]);
  });

  it('nothing is walked or renamed when no machine folds', () => {
    const maps = [new Map([[NFC, f(1)]]), new Map([[NFD, f(1)]])];
    const out = adoptOtherForms(['a', 'b'], maps, new Map(), {});
    expect(out.maps[1]).toBe(maps[1]);
    expect(findCollisions(['a', 'b'], maps, {}).size).toBe(0);
  });
});
