// The base: what each machine held at each path right after the last sync.
//
// Kept in two files of the state directory:
// - base.json, compact and quick to parse for hundreds of thousands of paths × several machines:
//     { "formatVersion": 2, "generation": G, "machines": [names…], "covered": {name: [sync paths…]},
//       "entries": [ [path, holders, type, mtime, size, mode, target?], … ] }
//   (rows: see baseRows.ts). After a sync the machines agree, so each path is written (and
//   held in memory) once, not once per machine. One row per line: readable and diffable.
// - base.changes.jsonl, what later writes changed (see baseChanges.ts). An apply that changed
//   1% of the paths appends that 1% instead of rewriting everything. base.json is rewritten,
//   with a new generation that retires the log, once the log names more paths than a quarter
//   of base.json's rows (or when the log cannot be appended to as it was read).
// `covered` (Base.covered) names, per machine, the sync paths it was last synced for; a log line's
// `covered` adds to it. A base.json without it (older blats) covers nothing.
import { randomBytes } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { buildUnderTest, collapseNested } from '../config/paths.js';
import { BlatError } from '../errors.js';
import type { Base, BaseCoverage, BaseOrigin, BaseSource, Entry } from '../types.js';
import { syncDirectory, writeFileAtomic } from './atomicWrite.js';
import { findChangedBasePaths, parseBaseChanges, parseCoverage, renderBaseChange, type BaseChange } from './baseChanges.js';
import { addBaseRows, renderAllBaseRows } from './baseRows.js';
import { describeError, isRecord, parseJsonFile, readFileHead, readTextIfExists } from './fsErrors.js';
import { LayeredBaseBuilder } from './layeredBase.js';
import { baseChangesPath, basePath } from './paths.js';

const BASE_FORMAT = 2;
/** The log may name this many paths even when a quarter of base.json is fewer. */
const LOG_MIN_PATHS = 1000;

/** Where a base read from disk came from (see Base.origin). */
export type { BaseOrigin } from '../types.js';

/** True when `value` is a well-formed BaseOrigin (as a cache recorded it). */
export function isBaseOrigin(value: unknown): value is BaseOrigin {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Partial<BaseOrigin>;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return typeof o.generation === 'string' && count(o.rows) && count(o.logPaths) && count(o.logBytes);
}

/** Gives `base` its origin (Base.origin: a property that is not enumerated). */
function markOrigin(base: Base, origin: BaseSource): void {
  Object.defineProperty(base, 'origin', { value: origin, configurable: true, enumerable: false, writable: false });
}

/** Where `base` came from, when readBase returned it or writeBase wrote it (and its log may be appended to). */
export function findBaseOrigin(base: Base): BaseOrigin | undefined {
  const origin = base.origin;
  return origin && origin.logBytes >= 0 ? { generation: origin.generation, rows: origin.rows, logPaths: origin.logPaths, logBytes: origin.logBytes } : undefined;
}

/**
 * Declares `base` to be the base on disk (of `origin`) at some of its paths only: writeBase of a
 * successor then appends what changed at those paths, and when it must rewrite base.json it
 * reads the whole base first.
 */
export function adoptPartialBase(base: Base, origin: BaseOrigin): void {
  markOrigin(base, { ...origin, partial: true });
}

/**
 * True when base.json and its log are still those of `origin` (same generation, log of the same
 * size): nothing has written the base since.
 */
export async function isBaseAt(stateDir: string, origin: BaseOrigin): Promise<boolean> {
  try {
    const [head, log] = await Promise.all([readFileHead(basePath(stateDir), 256).then((b) => b.toString('latin1')), stat(baseChangesPath(stateDir)).then((st) => st.size, () => 0)]);
    const generation = /^\{"formatVersion":2,"generation":"([0-9a-f]+)"/.exec(head)?.[1];
    return generation === origin.generation && log === origin.logBytes;
  } catch {
    return false;
  }
}


/** Reads base.json and its change log; an empty base when there is none; a BlatError naming the file when one is damaged. */
export async function readBase(stateDir: string): Promise<Base> {
  const file = basePath(stateDir);
  const text = await readTextIfExists(file);
  if (text === undefined) return new Map();
  const parsed = parseBaseFile(file, text);
  let origin: BaseSource | undefined;
  if (parsed.generation !== undefined) {
    const logFile = baseChangesPath(stateDir);
    const logText = (await readTextIfExists(logFile)) ?? '';
    const log = parseBaseChanges(logText, parsed.generation);
    if (log.damagedLine !== undefined) throw new BlatError(`${logFile}:${log.damagedLine}: not a blat base change; delete it and base.json to start afresh`);
    for (const change of log.changes) {
      mergeBaseChange(logFile, parsed.builder, change);
      if (change.covered) parsed.covered = addCoverage(parsed.covered, change.covered);
    }
    const whole = !log.stale && log.goodBytes === Buffer.byteLength(logText);
    origin = { generation: parsed.generation, rows: parsed.rows, logPaths: log.paths, logBytes: whole ? log.goodBytes : -1, partial: false };
  }
  const base = withCoverage(parsed.builder.build(), parsed.covered);
  if (origin) markOrigin(base, origin);
  return base;
}

/** `entries` (a map the caller just made: it is given the property) as a Base covering `covered` (nothing when undefined or empty). */
export function withCoverage(entries: ReadonlyMap<string, ReadonlyMap<string, Entry>>, covered: BaseCoverage | undefined): Base {
  if (covered === undefined || covered.size === 0) return entries;
  return Object.assign(entries, { covered }) as Base;
}

/** `covered` with `more` added, machine by machine (nested paths collapsed); `covered` itself when nothing is new. */
export function addCoverage(covered: BaseCoverage | undefined, more: BaseCoverage | undefined): BaseCoverage {
  const out = new Map<string, readonly string[]>(covered ?? []);
  let grew = false;
  more?.forEach((paths, name) => {
    const had = out.get(name) ?? [];
    const next = collapseNested([...had, ...paths]);
    if (next.length !== had.length || next.some((p, i) => p !== had[i])) {
      out.set(name, next);
      grew = true;
    }
  });
  return grew || covered === undefined ? out : covered;
}

/** What `next` covers that `previous` does not (per machine, its new paths); undefined when nothing. */
function findAddedCoverage(previous: BaseCoverage | undefined, next: BaseCoverage | undefined): BaseCoverage | undefined {
  if (next === undefined || next === previous) return undefined;
  const added = new Map<string, readonly string[]>();
  next.forEach((paths, name) => {
    const had = previous?.get(name) ?? [];
    const under = buildUnderTest(had);
    const fresh = paths.filter((p) => !under(p));
    if (fresh.length > 0) added.set(name, fresh);
  });
  return added.size > 0 ? added : undefined;
}

/**
 * Writes `next` as the base. When `previous` is the base readBase returned (the one `next` was
 * built from), only the paths that changed are appended to the change log, durably; otherwise,
 * or when the log has grown too long, base.json is replaced atomically and the log retired.
 */
export async function writeBase(stateDir: string, next: Base, previous?: Base): Promise<void> {
  const origin = previous?.origin;
  let whole = next;
  if (previous && origin) {
    const changed = findChangedBasePaths(previous, next);
    const covered = findAddedCoverage(previous.covered, next.covered);
    if (changed.size === 0 && covered === undefined) {
      markOrigin(next, origin);
      return;
    }
    const logPaths = origin.logPaths + changed.size;
    if (origin.logBytes >= 0 && logPaths <= Math.max(LOG_MIN_PATHS, origin.rows / 4)) {
      const line = renderBaseChange(origin.generation, next, [...changed], covered);
      if (await appendBaseChange(baseChangesPath(stateDir), line, origin.logBytes)) {
        markOrigin(next, { ...origin, logPaths, logBytes: origin.logBytes + Buffer.byteLength(line) });
        return;
      }
    }
    // `next` holds only some paths: the rewrite is of the whole base with those paths changed.
    if (origin.partial) whole = mergeBasePaths(await readBase(stateDir), next, changed);
  }
  const generation = randomBytes(8).toString('hex');
  const { text, rows } = renderBaseFile(whole, generation);
  await writeFileAtomic(basePath(stateDir), text);
  // Its lines have the old generation: ignored from now on, even if it cannot be removed.
  await rm(baseChangesPath(stateDir), { force: true }).catch(() => undefined);
  markOrigin(next, { generation, rows, logPaths: 0, logBytes: 0, partial: whole !== next });
}

/**
 * `next` as a whole base: itself, unless `previous` (the base it was built from) held only some
 * of the paths of the one on disk (adoptPartialBase), when those paths are merged into the base
 * read from disk. Call before writeBase(next, previous).
 */
export async function readWholeBase(stateDir: string, next: Base, previous: Base): Promise<Base> {
  if (previous.origin?.partial !== true) return next;
  return mergeBasePaths(await readBase(stateDir), next, findChangedBasePaths(previous, next));
}

/** `whole` with `paths` holding, on every machine, what `part` has there (nothing where it has nothing); covering what both cover. */
function mergeBasePaths(whole: Base, part: Base, paths: ReadonlySet<string>): Base {
  const out = new Map<string, ReadonlyMap<string, Entry>>();
  for (const name of new Set([...whole.keys(), ...part.keys()])) {
    const entries = new Map<string, Entry>();
    whole.get(name)?.forEach((entry, path) => {
      if (!paths.has(path)) entries.set(path, entry);
    });
    part.get(name)?.forEach((entry, path) => {
      if (paths.has(path)) entries.set(path, entry);
    });
    if (entries.size > 0) out.set(name, entries);
  }
  return withCoverage(out, addCoverage(whole.covered, part.covered));
}

/** base.json's text for `base` (each path once per distinct entry, with the machines holding it) and its row count. */
function renderBaseFile(base: Base, generation: string): { readonly text: string; readonly rows: number } {
  const names = [...base.keys()];
  const covered = base.covered === undefined || base.covered.size === 0 ? '' : `"covered":${JSON.stringify(Object.fromEntries(base.covered))},`;
  const parts: string[] = [`{"formatVersion":${BASE_FORMAT},"generation":${JSON.stringify(generation)},"machines":${JSON.stringify(names)},${covered}"entries":[`];
  const none = renderAllBaseRows(names.map((n) => base.get(n)!), parts);
  const rows = parts.length - 1;
  parts.push(none ? ']}\n' : '\n]}\n');
  return { text: parts.join(''), rows };
}

/** base.json's entries (in a builder, for the log to be merged into), coverage, generation and row count. */
function parseBaseFile(file: string, text: string): { readonly builder: LayeredBaseBuilder; covered?: BaseCoverage; readonly generation?: string; readonly rows: number } {
  const value = parseJsonFile(file, text);
  const bad = (why: string): BlatError => new BlatError(`${file}: not a blat base file (${why}); delete it to start afresh`);
  if (!isRecord(value)) throw bad('not an object');
  if (value.formatVersion !== BASE_FORMAT) throw bad(`formatVersion ${JSON.stringify(value.formatVersion)}, expected ${BASE_FORMAT}`);
  const names = value.machines;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw bad('machines is not a list of names');
  if (value.generation !== undefined && typeof value.generation !== 'string') throw bad('generation is not a string');
  if (!Array.isArray(value.entries)) throw bad('entries is not a list');
  const covered = parseCoverage(value.covered);
  if (covered === null) throw bad('covered is not a map of machines to lists of sync paths');
  const builder = new LayeredBaseBuilder(names);
  const badRow = addRows(builder, value.entries as unknown[], names);
  if (badRow >= 0) throw bad(`entries[${badRow}] is not a valid entry`);
  return { builder, covered, generation: value.generation as string | undefined, rows: value.entries.length };
}

/** Adds rows whose holders index `names`; the index of the first bad row, or -1. */
function addRows(builder: LayeredBaseBuilder, rows: readonly unknown[], names: readonly string[]): number {
  const others = builder.coversShared(names) ? names.filter((n) => !builder.isSharing(n)) : undefined;
  return addBaseRows(
    rows,
    names.length,
    (path, entry, k) => builder.set(names[k], path, entry),
    others === undefined
      ? (path, entry) => names.forEach((n) => builder.set(n, path, entry))
      : (path, entry) => {
          builder.setShared(path, entry);
          for (const n of others) builder.set(n, path, entry);
        },
  );
}

/** Merges one line of the log into `builder`. */
function mergeBaseChange(logFile: string, builder: LayeredBaseBuilder, change: BaseChange): void {
  for (const path of change.paths) builder.delete(path);
  const badRow = addRows(builder, change.rows, change.machines);
  if (badRow >= 0) throw new BlatError(`${logFile}:${change.line}: entries[${badRow}] is not a valid entry; delete it and base.json to start afresh`);
}

/**
 * Appends `line` to the log durably, if the log is still `expectedBytes` long; false (nothing
 * written) when it is not. A BlatError naming the file when it cannot be written.
 */
async function appendBaseChange(file: string, line: string, expectedBytes: number): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'a');
    const { size } = await handle.stat();
    if (size !== expectedBytes) return false;
    await handle.writeFile(line);
    await handle.sync();
    if (size === 0) await syncDirectory(dirname(file));
    return true;
  } catch (error) {
    throw new BlatError(`${file}: cannot write (${describeError(error)})`, { cause: error });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * The base after a sync (pure, linear in the number of entries).
 *
 * Contract:
 * - A path is *in scope* when it equals one of `scopes` (sync paths) or lies
 *   below one segment-wise (`docs` covers `docs/a` but not `docs2`).
 * - For each machine present in `current` (the machines whose content is known
 *   after apply): its in-scope base entries become exactly its current in-scope
 *   entries — a path it no longer holds leaves its base — except the paths for
 *   which `keep(machine, path)` is true, whose previous base entry (or absence)
 *   stays as it was. Entries of `current` outside the scopes are ignored.
 * - Machines absent from `current` keep their previous entries untouched.
 * - Entries outside the scopes are untouched for every machine.
 * - Machines left with no entries at all are omitted.
 * - Coverage: every machine of `current` is covered for `scopes` too (it took part in this sync);
 *   what `previous` covered stays covered.
 * `previous` and `current` are not modified; the result may share their maps.
 */
export function buildBaseAfterSync(
  previous: Base,
  current: ReadonlyMap<string, ReadonlyMap<string, Entry>>,
  scopes: readonly string[],
  keep: (machine: string, path: string) => boolean,
): Base {
  const inScope = buildUnderTest(scopes);
  const out = new Map<string, ReadonlyMap<string, Entry>>();
  for (const [machine, entries] of previous) {
    if (!current.has(machine) && entries.size > 0) out.set(machine, entries);
  }
  for (const [machine, now] of current) {
    const before = previous.get(machine);
    // What stays of the previous base: entries outside the scopes, and the kept paths.
    const stays: [string, Entry][] = [];
    if (before !== undefined) {
      // forEach: a layered map walks its layers natively (its iterator is a generator).
      before.forEach((entry, path) => {
        if (!inScope(path) || keep(machine, path)) stays.push([path, entry]);
      });
    }
    let allOfNow = true;
    for (const path of now.keys()) {
      if (!inScope(path) || keep(machine, path)) {
        allOfNow = false;
        break;
      }
    }
    if (stays.length === 0 && allOfNow) {
      // The usual case after a sync: the machine's base is exactly what it holds now (shared, not copied).
      if (now.size > 0) out.set(machine, now);
      continue;
    }
    const next = new Map<string, Entry>(stays);
    for (const [path, entry] of now) {
      if (inScope(path) && !keep(machine, path)) next.set(path, entry);
    }
    if (next.size > 0) out.set(machine, next);
  }
  return withCoverage(out, addCoverage(previous.covered, new Map([...current.keys()].map((m) => [m, scopes]))));
}

