// The base (base.json): what each machine held at each path right after the last sync.
//
// Format, compact and quick to parse for hundreds of thousands of paths × several machines:
//   { "formatVersion": 2, "machines": [names…],
//     "entries": [ [path, holders, type, mtime, size, mode, target?], … ] }
// `holders` says which machines (indexes into `machines`) hold that very entry: a bit mask
// (bit i = machine i) when every index is below 31, else a list of indexes. After a sync the
// machines agree, so each path is written (and held in memory) once, not once per machine.
// type "f" (file), "l" (symlink) or "d" (dir), mtime in seconds (float), mode as a number,
// target only for symlinks. One tuple per line, so the file stays readable and diffable.
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
  if (value.formatVersion !== BASE_FORMAT) throw bad(`formatVersion ${JSON.stringify(value.formatVersion)}, expected ${BASE_FORMAT}`);
  const names = value.machines;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw bad('machines is not a list of names');
  if (!Array.isArray(value.entries)) throw bad('entries is not a list');
  const maps = names.map(() => new Map<string, Entry>());
  /** Masks below this name only machines of the list (bit i = machine i). */
  const fullMask = 2 ** Math.min(maps.length, MASK_BITS);
  const rows = value.entries as unknown[];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const entry = Array.isArray(row) ? parseRow(row) : undefined;
    if (entry === undefined) throw bad(`entries[${i}] is not a valid entry`);
    const path = (row as unknown[])[0] as string;
    const mask = (row as unknown[])[1];
    if (typeof mask === 'number' && Number.isInteger(mask) && mask > 0 && mask < fullMask) {
      for (let k = 0; k < maps.length; k++) if (mask & (1 << k)) maps[k].set(path, entry);
      continue;
    }
    const holders = parseHolders(mask, maps.length);
    if (holders === undefined) throw bad(`entries[${i}] is not a valid entry`);
    for (const k of holders) maps[k].set(path, entry);
  }
  const base = new Map<string, Map<string, Entry>>();
  names.forEach((name: string, k) => {
    if (maps[k].size > 0) base.set(name, maps[k]);
  });
  return base;
}

/** base.json's text for `base`: each path once per distinct entry, with the machines holding it. */
export function renderBase(base: Base): string {
  const names = [...base.keys()];
  const maps = names.map((n) => base.get(n)!);
  const parts: string[] = [`{"formatVersion":${BASE_FORMAT},"machines":${JSON.stringify(names)},"entries":[`];
  let first = true;
  maps.forEach((entries, i) => {
    for (const [path, e] of entries) {
      let seen = false;
      for (let j = 0; j < i && !seen; j++) seen = identical(maps[j].get(path), e);
      if (seen) continue; // written with machine j's row
      const holders = [i];
      for (let j = i + 1; j < maps.length; j++) if (identical(maps[j].get(path), e)) holders.push(j);
      // The row by hand (JSON.stringify of a small array per path is most of the cost at 100,000s).
      const h = renderHolders(holders);
      const target = e.target === undefined ? '' : `,${JSON.stringify(e.target)}`;
      parts.push(`${first ? '' : ','}\n[${JSON.stringify(path)},${typeof h === 'number' ? h : JSON.stringify(h)},"${TYPE_CODE[e.type]}",${jsonNumber(e.mtime)},${jsonNumber(e.size)},${jsonNumber(e.mode)}${target}]`);
      first = false;
    }
  });
  parts.push(first ? ']}\n' : '\n]}\n');
  return parts.join('');
}

const BASE_FORMAT = 2;
/** Holder indexes below this are written as bits of one number. */
const MASK_BITS = 31;

function identical(a: Entry | undefined, b: Entry): boolean {
  return a !== undefined && (a === b || (a.type === b.type && a.mtime === b.mtime && a.size === b.size && a.mode === b.mode && a.target === b.target));
}

/** A number as JSON writes it (finite numbers: as String does). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function renderHolders(holders: readonly number[]): number | number[] {
  if (holders.some((k) => k >= MASK_BITS)) return holders as number[];
  let mask = 0;
  for (const k of holders) mask |= 1 << k;
  return mask;
}

function parseHolders(value: unknown, count: number): number[] | undefined {
  const out: number[] = [];
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value <= 0 || value >= 2 ** MASK_BITS) return undefined;
    for (let k = 0; k < MASK_BITS; k++) if (value & (1 << k)) out.push(k);
  } else if (Array.isArray(value) && value.length > 0) {
    for (const k of value) if (typeof k === 'number' && Number.isInteger(k)) out.push(k);
    if (out.length !== value.length) return undefined;
  } else return undefined;
  return out.every((k) => k >= 0 && k < count) ? out : undefined;
}

function parseRow(row: unknown[]): Entry | undefined {
  if (row.length !== 6 && row.length !== 7) return undefined;
  const [path, , code, mtime, size, mode, target] = row;
  if (typeof path !== 'string' || path === '') return undefined;
  const type = typeof code === 'string' ? CODE_TYPE[code] : undefined;
  if (type === undefined) return undefined;
  if (typeof mtime !== 'number' || typeof size !== 'number' || typeof mode !== 'number') return undefined;
  if (row.length === 7) {
    if (typeof target !== 'string') return undefined;
    return Object.freeze({ type, mtime, size, mode, target });
  }
  return Object.freeze({ type, mtime, size, mode });
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
      for (const [path, entry] of before) {
        if (!inScope(path) || keep(machine, path)) stays.push([path, entry]);
      }
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
  return out;
}

