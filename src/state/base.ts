// The base (base.json): what each machine held at each path right after the last sync.
//
// Format, compact and quick to parse for hundreds of thousands of paths:
//   { "formatVersion": 1, "machines": { "<name>": [ [path, type, mtime, size, mode, target?], ... ] } }
// with type "f" (file), "l" (symlink) or "d" (dir), mtime in seconds (float), mode as a number,
// and target only for symlinks. One tuple per line, so the file stays readable and diffable.
import { buildUnderTest } from '../config/paths.js';
import { BlatError } from '../errors.js';
import type { Base, Entry, EntryType } from '../types.js';
import { writeFileAtomic } from './atomicWrite.js';
import { isRecord, parseJsonFile, readTextIfExists } from './fsErrors.js';
import { basePath } from './paths.js';

const TYPE_CODE: Readonly<Record<EntryType, string>> = { file: 'f', symlink: 'l', dir: 'd' };
const CODE_TYPE: Readonly<Record<string, EntryType>> = { f: 'file', l: 'symlink', d: 'dir' };

/** Reads base.json; an empty base when there is none; a BlatError naming the file when it is damaged. */
export async function readBase(stateDir: string): Promise<Base> {
  const file = basePath(stateDir);
  const text = await readTextIfExists(file);
  return text === undefined ? new Map() : parseBase(file, text);
}

/** Writes `base` to base.json atomically. */
export async function writeBase(stateDir: string, base: Base): Promise<void> {
  await writeFileAtomic(basePath(stateDir), renderBase(base));
}

/** Parses base.json's text; a BlatError naming `file` when it is not a valid base. */
export function parseBase(file: string, text: string): Base {
  const value = parseJsonFile(file, text);
  const bad = (why: string): BlatError => new BlatError(`${file}: not a blat base file (${why}); delete it to start afresh`);
  if (!isRecord(value)) throw bad('not an object');
  if (value.formatVersion !== 1) throw bad(`formatVersion ${JSON.stringify(value.formatVersion)}, expected 1`);
  if (!isRecord(value.machines)) throw bad('machines is not an object');
  const base = new Map<string, Map<string, Entry>>();
  for (const [machine, rows] of Object.entries(value.machines)) {
    if (!Array.isArray(rows)) throw bad(`machines[${JSON.stringify(machine)}] is not a list`);
    const entries = new Map<string, Entry>();
    for (let i = 0; i < rows.length; i++) {
      const row: unknown = rows[i];
      const entry = Array.isArray(row) ? parseRow(row) : undefined;
      if (entry === undefined) throw bad(`machines[${JSON.stringify(machine)}][${i}] is not a valid entry`);
      entries.set((row as unknown[])[0] as string, entry);
    }
    base.set(machine, entries);
  }
  return base;
}

/** base.json's text for `base`. */
export function renderBase(base: Base): string {
  const parts: string[] = ['{"formatVersion":1,"machines":{'];
  let firstMachine = true;
  for (const [machine, entries] of base) {
    parts.push(`${firstMachine ? '' : ','}\n${JSON.stringify(machine)}:[`);
    firstMachine = false;
    let firstEntry = true;
    for (const [path, e] of entries) {
      const row: unknown[] = [path, TYPE_CODE[e.type], e.mtime, e.size, e.mode];
      if (e.target !== undefined) row.push(e.target);
      parts.push(`${firstEntry ? '' : ','}\n${JSON.stringify(row)}`);
      firstEntry = false;
    }
    parts.push(firstEntry ? ']' : '\n]');
  }
  parts.push(firstMachine ? '}}\n' : '\n}}\n');
  return parts.join('');
}

function parseRow(row: unknown[]): Entry | undefined {
  if (row.length !== 5 && row.length !== 6) return undefined;
  const [path, code, mtime, size, mode, target] = row;
  if (typeof path !== 'string' || path === '') return undefined;
  const type = typeof code === 'string' ? CODE_TYPE[code] : undefined;
  if (type === undefined) return undefined;
  if (typeof mtime !== 'number' || typeof size !== 'number' || typeof mode !== 'number') return undefined;
  if (row.length === 6) {
    if (typeof target !== 'string') return undefined;
    return { type, mtime, size, mode, target };
  }
  return { type, mtime, size, mode };
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
 * `previous` and `current` are not modified.
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
    const next = new Map<string, Entry>();
    const before = previous.get(machine);
    if (before !== undefined) {
      for (const [path, entry] of before) {
        if (!inScope(path) || keep(machine, path)) next.set(path, entry);
      }
    }
    for (const [path, entry] of now) {
      if (inScope(path) && !keep(machine, path)) next.set(path, entry);
    }
    if (next.size > 0) out.set(machine, next);
  }
  return out;
}

