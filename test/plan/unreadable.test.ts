// The planner and a folder some machine could not read: nothing under it is decided, anywhere.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { isEmptyPlan } from '../../src/plan/summary.js';
import { isIdenticalSnapshot, isUniformSnapshot } from '../../src/plan/uniform.js';
import { buildPlanDocument, parsePlanDocument } from '../../src/render/json.js';
import { renderPlanText } from '../../src/render/table.js';
import { baseOf, dir, f, input, snap } from './builder.js';

// a (self) and c hold docs/p/x and docs/p/y; b's docs/p could not be read (its entries lack them).
const held = { docs: dir(), 'docs/p': dir(), 'docs/p/x': f(100), 'docs/p/y': f(100), 'docs/q': f(100) };
const seenOnB = { docs: dir(), 'docs/q': f(100) };

describe('buildPlan with an unreadable folder', () => {
  it('deletes nothing under it, even with --propagate-deletes, and warns', () => {
    const snapshot = snap({ self: 'a', machines: { a: held, b: seenOnB, c: held }, unreadable: { b: ['docs/p'] } });
    const plan = buildPlan(input(snapshot, baseOf({ a: held, b: held, c: held }), { propagateDeletes: true }));
    expect(plan.steps).toEqual([]);
    expect(plan.deletions).toEqual([]);
    expect(plan.conflicts).toEqual([]);
    expect(plan.warnings).toEqual([{ kind: 'unreadable', machine: 'b', path: 'docs/p', reason: 'permission denied' }]);
    expect(plan.inSync).toBe(2); // docs and docs/q
    expect(isEmptyPlan(plan)).toBe(false);
  });

  it('writes nothing under it on any machine (no push of a new file, no pull of a change)', () => {
    const snapshot = snap({
      self: 'a',
      machines: { a: { ...held, 'docs/p/new': f(300) }, b: seenOnB, c: { ...held, 'docs/p/x': f(200) } },
      unreadable: { b: ['docs/p'] },
    });
    const plan = buildPlan(input(snapshot, baseOf({ a: held, b: held, c: held })));
    expect(plan.steps).toEqual([]);
    expect(plan.deferred).toEqual([]);
  });

  it('does not trash or replace a folder above it', () => {
    // docs deleted on a; b holds docs with the unreadable docs/p inside: moving docs would take it along.
    const snapshot = snap({ self: 'a', machines: { a: {}, b: seenOnB }, unreadable: { b: ['docs/p'] } });
    const plan = buildPlan(input(snapshot, baseOf({ a: held, b: held }), { propagateDeletes: true }));
    expect(plan.steps.map((s) => `${s.action} ${s.path} ${s.to}`)).toEqual(['trash docs/q b']);
    expect(plan.deletions.map((d) => d.path)).toEqual(['docs/q']);
  });

  it('still makes a folder above it where a machine lacks it, but never replaces that folder with a file', () => {
    const snapshot = snap({ self: 'a', machines: { a: {}, b: seenOnB }, unreadable: { b: ['docs/p'] } });
    const plan = buildPlan(input(snapshot));
    expect(plan.steps.map((s) => `${s.action} ${s.path} ${s.to}`)).toEqual(['pull docs a', 'pull docs/q a']);
    const replaced = snap({ self: 'a', machines: { a: { docs: f(500) }, b: seenOnB }, unreadable: { b: ['docs/p'] } });
    expect(buildPlan(input(replaced, baseOf({ a: held, b: held }))).steps.map((s) => `${s.action} ${s.path} ${s.to}`)).toEqual([]);
  });

  it('plans the rest as usual', () => {
    const snapshot = snap({ self: 'a', machines: { a: { ...held, 'docs/q': f(200) }, b: seenOnB }, unreadable: { b: ['docs/p'] } });
    const plan = buildPlan(input(snapshot, baseOf({ a: held, b: held })));
    expect(plan.steps.map((s) => `${s.action} ${s.path} ${s.to}`)).toEqual(['push docs/q b']);
  });

  it('a snapshot with an unreadable folder is never uniform nor identical (the caches that skip the planner)', () => {
    const snapshot = snap({ self: 'a', machines: { a: seenOnB, b: seenOnB }, unreadable: { b: ['docs/p'] } });
    expect(isUniformSnapshot(snapshot, 1)).toBe(false);
    expect(isIdenticalSnapshot(snapshot)).toBe(false);
  });
});

describe('rendering the warning', () => {
  const snapshot = snap({ self: 'a', machines: { a: held, b: seenOnB }, unreadable: { b: ['docs/p'] } });
  const plan = buildPlan(input(snapshot, baseOf({ a: held, b: held })));

  it('the table lists it and never says in sync', () => {
    const text = renderPlanText(plan, { color: false, full: false });
    expect(text).toContain('Warnings (1):');
    expect(text).toContain('docs/p on b: could not read (permission denied): nothing under it is copied, deleted or moved to trash on any machine until the scan can read it');
    expect(text).not.toMatch(/^In sync|Every machine is in sync/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('Not in sync: 1 unreadable folder.');
  });

  it('the JSON document carries it and reads back', () => {
    const doc = { ...buildPlanDocument(plan), configDigest: 'c'.repeat(64), snapshotDigest: 'd'.repeat(64) };
    expect(doc.warnings).toEqual([{ kind: 'unreadable', machine: 'b', path: 'docs/p', reason: 'permission denied' }]);
    expect(parsePlanDocument(JSON.parse(JSON.stringify(doc)), 'p.json').warnings).toEqual(plan.warnings);
  });
});
