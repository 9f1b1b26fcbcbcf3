// The plan as a versioned JSON document (`blat plan --json`, `--out FILE`) and back.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { BlatError } from '../errors.js';
import { CONTROLLER } from '../config/self.js';
import { validate } from './planValidator.generated.js';
import { summarisePlan } from '../plan/summary.js';
import type {
  Conflict,
  ConflictVersion,
  Deferred,
  Deletion,
  Entry,
  EntryType,
  MachineObservation,
  Plan,
  PlanSummary,
  PlanWarning,
  Replaces,
  Step,
} from '../types.js';

/** The format version this blat writes and reads. */
export const PLAN_FORMAT_VERSION = 1;

/** An Entry as written in a plan document. */
export interface EntryDoc {
  readonly type: EntryType;
  /** Seconds since the epoch, with fraction. */
  readonly mtime: number;
  readonly size: number;
  readonly mode: number;
  readonly target?: string;
}

export interface MachineDoc {
  readonly name: string;
  readonly status: MachineObservation['status'];
  readonly reason?: string;
  readonly os?: MachineObservation['os'];
  readonly clockOffsetMs?: number;
  readonly rootMissing?: true;
}

export interface StepDoc {
  readonly action: Step['action'];
  readonly path: string;
  readonly from: string;
  readonly to: string;
  readonly source: EntryDoc | null;
  readonly target: EntryDoc | null;
  /** What the step replaces on `to`, kept in its trash (see Step.replaces); absent when nothing. */
  readonly replaces?: Replaces;
  /** copy-aside only: the conflict-copy name (see Step.as). */
  readonly as?: string;
  /** move only: the old path (see Step.was). */
  readonly was?: string;
}

export interface DeferredDoc {
  readonly path: string;
  readonly machine: string;
  readonly reason: string;
  readonly source: EntryDoc;
}

/** One version of a conflicting path; an absent version has type "absent" and null mtime, size and mode. */
export interface ConflictVersionDoc {
  readonly machines: readonly string[];
  readonly type: EntryType | 'absent';
  readonly mtime: number | null;
  readonly size: number | null;
  readonly mode: number | null;
  readonly target?: string;
  readonly changed: boolean;
}

export interface ConflictDoc {
  readonly path: string;
  readonly reason: string;
  readonly versions: readonly ConflictVersionDoc[];
}

export interface DeletionDoc {
  readonly path: string;
  readonly deletedOn: readonly string[];
  readonly heldOn: readonly string[];
  readonly propagated: boolean;
}

/** A warning as written in a plan document (the same fields as PlanWarning). */
export type WarningDoc = PlanWarning;

/** The document described by schemas/plan.schema.json. */
export interface PlanDocument {
  readonly formatVersion: 1;
  readonly self: string;
  readonly configDigest: string;
  readonly snapshotDigest: string;
  /** ISO 8601, UTC, milliseconds. */
  readonly createdAt: string;
  readonly targets: readonly string[];
  readonly machines: readonly MachineDoc[];
  readonly steps: readonly StepDoc[];
  readonly deferred: readonly DeferredDoc[];
  readonly conflicts: readonly ConflictDoc[];
  readonly deletions: readonly DeletionDoc[];
  /** Absent in plans of older blats. */
  readonly warnings?: readonly WarningDoc[];
  readonly inSync: number;
  /** `aside` only when the plan has copy-aside steps, `move` only when it has move steps. */
  readonly summary: Omit<PlanSummary, 'aside' | 'move' | 'copy'> & { readonly aside?: number; readonly move?: number; readonly copy?: number };
  /** The mass-deletion guard's verdict on the trash steps, when it was asked (`plan --propagate-deletes`). */
  readonly deletionGuard?: DeletionGuardDoc;
}

/** The mass-deletion guard's verdict: `passes` false when apply would refuse without --force-deletes, with one problem per machine. */
export interface DeletionGuardDoc {
  readonly passes: boolean;
  readonly problems: readonly string[];
}

// ---------------------------------------------------------------- building

/** The document form of an entry (`target` only when the entry has one). */
export function buildEntryDoc(entry: Entry): EntryDoc {
  const doc: { type: EntryType; mtime: number; size: number; mode: number; target?: string } = {
    type: entry.type,
    mtime: entry.mtime,
    size: entry.size,
    mode: entry.mode,
  };
  if (entry.target !== undefined) doc.target = entry.target;
  return doc;
}

function buildMachineDoc(m: MachineObservation): MachineDoc {
  const doc: { -readonly [K in keyof MachineDoc]: MachineDoc[K] } = { name: m.name, status: m.status };
  if (m.reason !== undefined) doc.reason = m.reason;
  if (m.os !== undefined) doc.os = m.os;
  if (m.clockOffsetMs !== undefined) doc.clockOffsetMs = m.clockOffsetMs;
  if (m.rootMissing) doc.rootMissing = true;
  return doc;
}

function buildConflictVersionDoc(v: ConflictVersion): ConflictVersionDoc {
  if (v.entry === null) return { machines: [...v.machines], type: 'absent', mtime: null, size: null, mode: null, changed: v.changed };
  const doc: { -readonly [K in keyof ConflictVersionDoc]: ConflictVersionDoc[K] } = {
    machines: [...v.machines],
    type: v.entry.type,
    mtime: v.entry.mtime,
    size: v.entry.size,
    mode: v.entry.mode,
    changed: v.changed,
  };
  if (v.entry.target !== undefined) doc.target = v.entry.target;
  return doc;
}

/**
 * The versioned JSON value for a plan: what `plan --json` prints and `--out FILE` saves; with the
 * mass-deletion guard's problems (`deletionGuard`, [] = it passes) when they are given.
 */
export function buildPlanDocument(plan: Plan, extra: { readonly deletionGuard?: readonly string[] } = {}): PlanDocument {
  const doc: PlanDocument = {
    formatVersion: 1,
    self: plan.self,
    configDigest: plan.configDigest,
    snapshotDigest: plan.snapshotDigest,
    createdAt: new Date(plan.createdAtMs).toISOString(),
    targets: [...plan.targets],
    machines: plan.machines.map(buildMachineDoc),
    steps: plan.steps.map((s) => ({
      action: s.action,
      path: s.path,
      from: s.from,
      to: s.to,
      source: s.source === null ? null : buildEntryDoc(s.source),
      target: s.target === null ? null : buildEntryDoc(s.target),
      ...(s.replaces === undefined ? {} : { replaces: s.replaces }),
      ...(s.as === undefined ? {} : { as: s.as }),
      ...(s.was === undefined ? {} : { was: s.was }),
    })),
    deferred: plan.deferred.map((d) => ({ path: d.path, machine: d.machine, reason: d.reason, source: buildEntryDoc(d.source) })),
    conflicts: plan.conflicts.map((c) => ({ path: c.path, reason: c.reason, versions: c.versions.map(buildConflictVersionDoc) })),
    deletions: plan.deletions.map((d) => ({
      path: d.path,
      deletedOn: [...d.deletedOn],
      heldOn: [...d.heldOn],
      propagated: d.propagated,
    })),
    warnings: plan.warnings.map((w) => ({ ...w })),
    inSync: plan.inSync,
    summary: buildSummaryDoc(plan),
  };
  if (extra.deletionGuard === undefined) return doc;
  return { ...doc, deletionGuard: { passes: extra.deletionGuard.length === 0, problems: [...extra.deletionGuard] } };
}

/**
 * The plan's counts, `aside` only when there are copy-aside steps, `move` only when there are
 * move steps and `copy` only when there are copy steps (a plan without is written as before them).
 */
function buildSummaryDoc(plan: Plan): PlanDocument['summary'] {
  const { aside, move, copy, ...rest } = summarisePlan(plan);
  return { ...(aside > 0 ? { aside } : {}), ...(move > 0 ? { move } : {}), ...(copy > 0 ? { copy } : {}), ...rest };
}

// ---------------------------------------------------------------- parsing

/** The plan schema's validator (compiled ahead of time by ajv: see scripts/configValidator.mjs, which a test keeps in step with the schema). */
const validatePlan = validate as unknown as ValidateFunction;

/** Readable wording for the schema's patterns, keyed by schema path. */
const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  '#/definitions/relPath/pattern': "must be a relative path with no leading or trailing '/' and no empty, '.' or '..' segment",
  '#/definitions/digest/pattern': 'must be 64 lower-case hex digits',
  '#/properties/createdAt/pattern': 'must be an ISO 8601 UTC time like 2024-05-01T12:00:00.000Z',
};

/** One ajv error as `/json/pointer message (detail)`. */
function describeAjvError(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'the document' : e.instancePath;
  const p = e.params as Record<string, unknown>;
  const worded = e.keyword === 'pattern' ? PATTERN_MESSAGES[e.schemaPath] : undefined;
  if (worded !== undefined) return `${where} ${worded}`;
  let detail = '';
  if (e.keyword === 'additionalProperties') detail = ` (${JSON.stringify(p.additionalProperty)})`;
  else if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) detail = `: ${p.allowedValues.map(String).join(', ')}`;
  else if (e.keyword === 'const') detail = ` ${JSON.stringify(p.allowedValue)}`;
  return `${where} ${e.message ?? 'is invalid'}${detail}`;
}

function notAPlan(fileName: string, why: string): BlatError {
  return new BlatError(`${fileName}: not a blat plan: ${why}`);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

function parseEntry(doc: EntryDoc): Entry {
  const e: { type: EntryType; mtime: number; size: number; mode: number; target?: string } = {
    type: doc.type,
    mtime: doc.mtime,
    size: doc.size,
    mode: doc.mode,
  };
  if (doc.target !== undefined) e.target = doc.target;
  return e;
}

function parseConflictVersion(doc: ConflictVersionDoc): ConflictVersion {
  let entry: Entry | null = null;
  if (doc.type !== 'absent') {
    entry = parseEntry({ type: doc.type, mtime: doc.mtime as number, size: doc.size as number, mode: doc.mode as number, target: doc.target });
  }
  return { machines: [...doc.machines], entry, changed: doc.changed };
}

/** Cross-checks the schema cannot express: known machine names, a real date, a summary that agrees. */
function checkConsistency(doc: PlanDocument, plan: Plan): string | undefined {
  const names = new Set(doc.machines.map((m) => m.name));
  if (names.size !== doc.machines.length) return '/machines names a machine twice';
  const unknown = (where: string, name: string): string | undefined =>
    names.has(name) ? undefined : `${where} names unknown machine ${JSON.stringify(name)}`;
  const checks: (string | undefined)[] = [doc.self === CONTROLLER ? undefined : unknown('/self', doc.self)];
  doc.steps.forEach((s, i) => checks.push(unknown(`/steps/${i}/from`, s.from), unknown(`/steps/${i}/to`, s.to)));
  doc.deferred.forEach((d, i) => checks.push(unknown(`/deferred/${i}/machine`, d.machine)));
  doc.conflicts.forEach((c, i) =>
    c.versions.forEach((v, j) => v.machines.forEach((m, k) => checks.push(unknown(`/conflicts/${i}/versions/${j}/machines/${k}`, m)))),
  );
  (doc.warnings ?? []).forEach((w, i) => checks.push(unknown(`/warnings/${i}/machine`, w.machine)));
  doc.deletions.forEach((d, i) => {
    d.deletedOn.forEach((m, k) => checks.push(unknown(`/deletions/${i}/deletedOn/${k}`, m)));
    d.heldOn.forEach((m, k) => checks.push(unknown(`/deletions/${i}/heldOn/${k}`, m)));
  });
  const bad = checks.find((c) => c !== undefined);
  if (bad !== undefined) return bad;
  if (!Number.isFinite(plan.createdAtMs)) return `/createdAt is not a valid date`;
  const expected = summarisePlan(plan);
  for (const key of Object.keys(expected) as (keyof PlanSummary)[]) {
    // A plan saved before `kept` was counted has neither it nor the steps' `replaces`.
    if (key === 'kept' && doc.summary.kept === undefined) continue;
    // Nor one saved before --keep-both: it has no copy-aside steps.
    if (key === 'aside' && doc.summary.aside === undefined && expected.aside === 0) continue;
    // Nor one saved before moves: it has no move steps.
    if (key === 'move' && doc.summary.move === undefined && expected.move === 0) continue;
    // Nor one without copy steps (any plan but a controller's).
    if (key === 'copy' && doc.summary.copy === undefined && expected.copy === 0) continue;
    if (doc.summary[key] !== expected[key]) {
      return `/summary/${key} is ${doc.summary[key]} but the plan has ${expected[key]}`;
    }
  }
  return undefined;
}

/**
 * The frozen Plan a plan document describes. Throws BlatError naming `fileName`
 * when the format version is not this blat's or the value is not a valid plan.
 */
export function parsePlanDocument(value: unknown, fileName: string): Plan {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'formatVersion' in value) {
    const v = (value as { formatVersion: unknown }).formatVersion;
    if (typeof v === 'number' && v !== PLAN_FORMAT_VERSION) {
      throw new BlatError(`${fileName}: plan format version ${v} is not supported by this blat (expects ${PLAN_FORMAT_VERSION})`);
    }
  }
  if (!validatePlan(value)) {
    const first = validatePlan.errors?.[0];
    throw notAPlan(fileName, first === undefined ? 'invalid' : describeAjvError(first));
  }
  const doc = value as PlanDocument;
  const plan: Plan = {
    formatVersion: 1,
    self: doc.self,
    configDigest: doc.configDigest,
    snapshotDigest: doc.snapshotDigest,
    createdAtMs: Date.parse(doc.createdAt),
    targets: [...doc.targets],
    machines: doc.machines.map((m): MachineObservation => {
      const o: { -readonly [K in keyof MachineObservation]: MachineObservation[K] } = { name: m.name, status: m.status };
      if (m.reason !== undefined) o.reason = m.reason;
      if (m.os !== undefined) o.os = m.os;
      if (m.clockOffsetMs !== undefined) o.clockOffsetMs = m.clockOffsetMs;
      if (m.rootMissing === true) o.rootMissing = true;
      return o;
    }),
    steps: doc.steps.map(
      (s): Step => ({
        action: s.action,
        path: s.path,
        from: s.from,
        to: s.to,
        source: s.source === null ? null : parseEntry(s.source),
        target: s.target === null ? null : parseEntry(s.target),
        ...(s.replaces === undefined ? {} : { replaces: s.replaces }),
        ...(s.as === undefined ? {} : { as: s.as }),
        ...(s.was === undefined ? {} : { was: s.was }),
      }),
    ),
    deferred: doc.deferred.map((d): Deferred => ({ path: d.path, machine: d.machine, reason: d.reason, source: parseEntry(d.source) })),
    conflicts: doc.conflicts.map((c): Conflict => ({ path: c.path, reason: c.reason, versions: c.versions.map(parseConflictVersion) })),
    deletions: doc.deletions.map(
      (d): Deletion => ({ path: d.path, deletedOn: [...d.deletedOn], heldOn: [...d.heldOn], propagated: d.propagated }),
    ),
    warnings: (doc.warnings ?? []).map((w): PlanWarning => ({ ...w })),
    inSync: doc.inSync,
  };
  const inconsistency = checkConsistency(doc, plan);
  if (inconsistency !== undefined) throw notAPlan(fileName, inconsistency);
  return deepFreeze(plan);
}
