import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, it, expect } from 'vitest';
import { caught } from '../helpers/errors.js';
import { BlatError } from '../../src/errors.js';
import { buildPlanDocument, parsePlanDocument } from '../../src/render/json.js';
import type { Plan } from '../../src/types.js';
import { bigPlan, DIGEST_A, emptyPlan, fullPlan, hostilePlan } from './fixtures.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ strict: true, strictTypes: false, allErrors: true }).compile(schema);

/** The document as it travels: through JSON text and back. */
function wire(plan: Plan): Record<string, unknown> {
  return JSON.parse(JSON.stringify(buildPlanDocument(plan))) as Record<string, unknown>;
}

/** The BlatError message parsePlanDocument throws for `value`. */
function refusal(value: unknown): string {
  return caught(BlatError, () => parsePlanDocument(value, 'saved.plan')).summary;
}

const fixtures: [string, () => Plan][] = [
  ['a plan with every kind of item', fullPlan],
  ['an empty plan', emptyPlan],
  ['a plan of hostile names', hostilePlan],
  ['a plan of 120 steps', () => bigPlan(120)],
];

describe('buildPlanDocument', () => {
  it.each(fixtures)('produces a document the schema accepts: %s', (_name, make) => {
    const doc = wire(make());
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('writes the versioned shape with ISO createdAt, entry docs, absent versions and a summary', () => {
    const doc = buildPlanDocument(fullPlan());
    expect(doc.formatVersion).toBe(1);
    expect(doc.self).toBe('a');
    expect(doc.configDigest).toBe(DIGEST_A);
    expect(doc.createdAt).toBe('2024-05-01T12:00:00.000Z');
    expect(doc.targets).toEqual(['docs']);
    expect(doc.machines[2]).toEqual({ name: 'c', status: 'offline', reason: 'timeout' });
    expect(doc.machines[1]).toEqual({ name: 'b', status: 'online', os: 'darwin', clockOffsetMs: 3200 });
    expect(doc.steps[0]).toEqual({
      action: 'pull',
      path: 'docs/report.txt',
      from: 'b',
      to: 'a',
      source: { type: 'file', mtime: 1_714_560_000.123456, size: 2048, mode: 0o644 },
      target: { type: 'file', mtime: 1_714_500_000.25, size: 10, mode: 0o644 },
      replaces: 'changed',
    });
    expect('replaces' in doc.steps[2]).toBe(false);
    expect(doc.steps[3].source).toEqual({ type: 'symlink', mtime: 1_714_000_000, size: 7, mode: 0o777, target: '../x/y' });
    expect(doc.steps[5]).toMatchObject({ action: 'trash', source: null });
    expect(doc.conflicts[1].versions[1]).toEqual({ machines: ['b'], type: 'absent', mtime: null, size: null, mode: null, changed: true });
    expect(doc.conflicts[0].versions[2]).toEqual({ machines: ['e'], type: 'file', mtime: 1_714_540_000, size: 90, mode: 0o644, changed: false });
    expect(doc.deletions[1]).toEqual({ path: 'old/kept.txt', deletedOn: ['b'], heldOn: ['a'], propagated: false });
    expect(doc.inSync).toBe(42);
    expect(doc.summary).toEqual({ pull: 1, push: 4, trash: 1, deferred: 1, conflicts: 2, deletions: 2, kept: 3 });
  });

  it('carries the mass-deletion guard verdict only when given, in a shape the schema accepts, and parses back to the same plan', () => {
    expect(buildPlanDocument(fullPlan())).not.toHaveProperty('deletionGuard');
    const problem = 'm2: propagating deletions would move 30 of the 50 files it holds to trash (more than 50% of them); is a disk unmounted?';
    for (const [given, verdict] of [
      [[], { passes: true, problems: [] }],
      [[problem], { passes: false, problems: [problem] }],
    ] as const) {
      const doc = JSON.parse(JSON.stringify(buildPlanDocument(fullPlan(), { deletionGuard: given }))) as Record<string, unknown>;
      expect(doc.deletionGuard).toEqual(verdict);
      expect(validate(doc)).toBe(true);
      expect(parsePlanDocument(doc, 'p.json')).toEqual(fullPlan());
    }
  });

  it('puts no property outside the schema (the schema is strict)', () => {
    const doc = wire(fullPlan());
    (doc.steps as Record<string, unknown>[])[0].extra = 1;
    expect(validate(doc)).toBe(false);
    expect(validate.errors?.[0]?.keyword).toBe('additionalProperties');
  });
});

describe('parsePlanDocument', () => {
  it.each(fixtures)('round-trips through JSON text to an equal plan: %s', (_name, make) => {
    const plan = make();
    expect(parsePlanDocument(wire(plan), 'p.json')).toEqual(plan);
  });

  it('reads a document without warnings (older blats) as a plan with none, and refuses a warning naming an unknown machine', () => {
    const { warnings: _w, ...older } = wire(fullPlan());
    expect(parsePlanDocument(older, 'p.json').warnings).toEqual([]);
    const doc = wire(fullPlan());
    expect(doc.warnings).toEqual([{ kind: 'future', path: 'notes/ahead.md', machine: 'b', mtime: 1_914_551_000.25 }]);
    expect(refusal({ ...doc, warnings: [{ kind: 'future', path: 'notes/ahead.md', machine: 'zz', mtime: 1 }] })).toMatch(/\/warnings\/0\/machine names unknown machine "zz"/);
  });

  it('reads a plan saved before versions kept were counted (no `kept`, no `replaces`), and checks `kept` when present', () => {
    const older = wire(fullPlan()) as any;
    delete older.summary.kept;
    for (const step of older.steps) delete step.replaces;
    expect(parsePlanDocument(older, 'p.json').steps.every((s) => s.replaces === undefined)).toBe(true);
    const wrong = wire(fullPlan()) as any;
    delete wrong.steps[1].replaces;
    expect(refusal(wrong)).toBe('saved.plan: not a blat plan: /summary/kept is 3 but the plan has 2');
    const bad = wire(fullPlan()) as any;
    bad.steps[1].replaces = 'newer';
    expect(refusal(bad)).toBe('saved.plan: not a blat plan: /steps/1/replaces must be equal to one of the allowed values: older, changed');
  });

  it('returns a deeply frozen plan', () => {
    const plan = parsePlanDocument(wire(fullPlan()), 'p.json');
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.steps)).toBe(true);
    expect(Object.isFrozen(plan.steps[0].source)).toBe(true);
    expect(Object.isFrozen(plan.conflicts[0].versions[0].machines)).toBe(true);
    expect(plan.createdAtMs).toBe(fullPlan().createdAtMs);
  });

  it('refuses another format version with the version sentence', () => {
    const doc = { ...wire(fullPlan()), formatVersion: 2 };
    expect(refusal(doc)).toBe('saved.plan: plan format version 2 is not supported by this blat (expects 1)');
    expect(refusal({ formatVersion: 0 })).toBe('saved.plan: plan format version 0 is not supported by this blat (expects 1)');
  });

  it.each([
    ['a string', 'hello', 'saved.plan: not a blat plan: the document must be object'],
    ['null', null, 'saved.plan: not a blat plan: the document must be object'],
    ['an array', [1, 2], 'saved.plan: not a blat plan: the document must be object'],
    ['an empty object', {}, "saved.plan: not a blat plan: the document must have required property 'formatVersion'"],
    ['a string version', { ...wire(fullPlan()), formatVersion: '1' }, 'saved.plan: not a blat plan: /formatVersion must be equal to constant 1'],
  ])('refuses garbage (%s) with the not-a-plan sentence', (_name, value, message) => {
    expect(refusal(value)).toBe(message);
  });

  it('names the offending place for documents that are almost plans', () => {
    const edit = (change: (doc: any) => void): unknown => {
      const doc = wire(fullPlan());
      change(doc);
      return doc;
    };
    expect(refusal(edit((d) => (d.steps[1].action = 'delete')))).toBe(
      'saved.plan: not a blat plan: /steps/1/action must be equal to one of the allowed values: copy-aside, move, pull, push, copy, trash',
    );
    expect(refusal(edit((d) => (d.extra = true)))).toBe('saved.plan: not a blat plan: the document must NOT have additional properties ("extra")');
    expect(refusal(edit((d) => delete d.summary))).toBe("saved.plan: not a blat plan: the document must have required property 'summary'");
    const relative = "must be a relative path with no leading or trailing '/' and no empty, '.' or '..' segment";
    expect(refusal(edit((d) => (d.steps[0].path = '../etc/passwd')))).toBe(`saved.plan: not a blat plan: /steps/0/path ${relative}`);
    expect(refusal(edit((d) => (d.steps[0].path = '/etc/passwd')))).toBe(`saved.plan: not a blat plan: /steps/0/path ${relative}`);
    expect(refusal(edit((d) => (d.deferred[0].path = 'docs/./x')))).toBe(`saved.plan: not a blat plan: /deferred/0/path ${relative}`);
    expect(refusal(edit((d) => (d.deletions[0].path = 'old//gone')))).toBe(`saved.plan: not a blat plan: /deletions/0/path ${relative}`);
    expect(refusal(edit((d) => (d.conflicts[0].path = 'notes/')))).toBe(`saved.plan: not a blat plan: /conflicts/0/path ${relative}`);
    expect(refusal(edit((d) => (d.configDigest = 'abc')))).toBe('saved.plan: not a blat plan: /configDigest must be 64 lower-case hex digits');
    expect(refusal(edit((d) => (d.steps[5].source = d.steps[0].source)))).toBe('saved.plan: not a blat plan: /steps/5/source must be null');
    expect(refusal(edit((d) => (d.steps[0].source = null)))).toBe('saved.plan: not a blat plan: /steps/0/source must be object');
    expect(refusal(edit((d) => (d.conflicts[1].versions[1].mtime = 5)))).toBe('saved.plan: not a blat plan: /conflicts/1/versions/1/mtime must be null');
    expect(refusal(edit((d) => (d.createdAt = 'yesterday')))).toBe(
      'saved.plan: not a blat plan: /createdAt must be an ISO 8601 UTC time like 2024-05-01T12:00:00.000Z',
    );
  });

  it('refuses documents whose parts disagree', () => {
    const withDoc = (change: (doc: any) => void): unknown => {
      const doc = wire(fullPlan());
      change(doc);
      return doc;
    };
    expect(refusal(withDoc((d) => (d.steps[1].to = 'zz')))).toBe('saved.plan: not a blat plan: /steps/1/to names unknown machine "zz"');
    expect(refusal(withDoc((d) => (d.self = 'zz')))).toBe('saved.plan: not a blat plan: /self names unknown machine "zz"');
    expect(refusal(withDoc((d) => d.steps.pop()))).toBe('saved.plan: not a blat plan: /summary/trash is 1 but the plan has 0');
    expect(refusal(withDoc((d) => (d.createdAt = '2024-13-45T99:99:99.000Z')))).toBe('saved.plan: not a blat plan: /createdAt is not a valid date');
  });
});
