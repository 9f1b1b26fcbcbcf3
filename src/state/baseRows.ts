// The rows of base.json and of its change log: [path, holders, type, mtime, size, mode, target?].
// `holders` says which machines (indexes into the file's or line's `machines`) hold that very
// entry: a bit mask (bit i = machine i) when every index is below 31, else a list of indexes.
// type "f" (file), "l" (symlink) or "d" (dir), mtime in seconds (float), mode as a number,
// target only for symlinks.
import type { Entry, EntryType } from '../types.js';

const TYPE_CODE: Readonly<Record<EntryType, string>> = { file: 'f', symlink: 'l', dir: 'd' };
const CODE_TYPE: Readonly<Record<string, EntryType>> = { f: 'file', l: 'symlink', d: 'dir' };

/** Holder indexes below this are written as bits of one number. */
const MASK_BITS = 31;

/** Same type, mtime, size, mode and target (or the same object). */
export function isSameBaseEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && a.type === b.type && a.mtime === b.mtime && a.size === b.size && a.mode === b.mode && a.target === b.target;
}

/** Whether two maps hold the same entries at the same paths (isSameBaseEntry). */
export function hasSameEntries(a: ReadonlyMap<string, Entry>, b: ReadonlyMap<string, Entry>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [path, entry] of a) if (!isSameBaseEntry(entry, b.get(path))) return false;
  return true;
}

/**
 * Appends to `parts` the rows of `paths` across `maps` (machine i's entries = maps[i]): one row
 * per distinct entry, naming every machine that holds it. Rows are separated by `,` and
 * `lineBreak`; returns whether `parts` is still without a row.
 */
export function renderBaseRows(maps: readonly ReadonlyMap<string, Entry>[], paths: Iterable<string>, parts: string[], first: boolean, lineBreak: string): boolean {
  for (const path of paths) {
    for (let i = 0; i < maps.length; i++) {
      const e = maps[i].get(path);
      if (e !== undefined) first = pushDistinctRow(maps, i, path, e, parts, first, lineBreak);
    }
  }
  return first;
}

/**
 * Like renderBaseRows over every path of every map, machine by machine (the order base.json
 * keeps), without building the union of their paths first.
 */
export function renderAllBaseRows(maps: readonly ReadonlyMap<string, Entry>[], parts: string[]): boolean {
  let first = true;
  maps.forEach((entries, i) => {
    for (const [path, e] of entries) first = pushDistinctRow(maps, i, path, e, parts, first, '\n');
  });
  return first;
}

/** Machine i's row for `path`, naming every later machine holding the same entry; nothing when an earlier one does (its row has i). */
function pushDistinctRow(maps: readonly ReadonlyMap<string, Entry>[], i: number, path: string, e: Entry, parts: string[], first: boolean, lineBreak: string): boolean {
  for (let j = 0; j < i; j++) if (isSameBaseEntry(maps[j].get(path), e)) return first;
  const holders = [i];
  for (let j = i + 1; j < maps.length; j++) if (isSameBaseEntry(maps[j].get(path), e)) holders.push(j);
  return pushRow(parts, first, path, holders, e, lineBreak);
}

function pushRow(parts: string[], first: boolean, path: string, holders: readonly number[], e: Entry, lineBreak: string): false {
  // The row by hand (JSON.stringify of a small array per path is most of the cost at 100,000s).
  const h = holders.some((k) => k >= MASK_BITS) ? JSON.stringify(holders) : String(holders.reduce((mask, k) => mask | (1 << k), 0));
  const target = e.target === undefined ? '' : `,${JSON.stringify(e.target)}`;
  parts.push(`${first ? '' : ','}${lineBreak}[${JSON.stringify(path)},${h},"${TYPE_CODE[e.type]}",${jsonNumber(e.mtime)},${jsonNumber(e.size)},${jsonNumber(e.mode)}${target}]`);
  return false;
}

/** A number as JSON writes it (finite numbers: as String does). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * Reads parsed rows for `count` machines: `addAll(path, entry)` for a row naming every machine,
 * else `add(path, entry, k)` for each machine k it names. Returns the index of the first row
 * that is not a valid row for `count` machines (rows before it were added), or -1.
 */
export function addBaseRows(
  rows: readonly unknown[],
  count: number,
  add: (path: string, entry: Entry, k: number) => void,
  addAll: (path: string, entry: Entry) => void,
): number {
  /** Masks below this name only machines of the list (bit i = machine i). */
  const maskLimit = 2 ** Math.min(count, MASK_BITS);
  const all = count <= MASK_BITS ? maskLimit - 1 : -1;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const entry = Array.isArray(row) ? parseRow(row) : undefined;
    if (entry === undefined) return i;
    const path = (row as unknown[])[0] as string;
    const mask = (row as unknown[])[1];
    if (mask === all) {
      addAll(path, entry);
      continue;
    }
    if (typeof mask === 'number' && Number.isInteger(mask) && mask > 0 && mask < maskLimit) {
      for (let k = 0; k < count; k++) if (mask & (1 << k)) add(path, entry, k);
      continue;
    }
    const holders = parseHolders(mask, count);
    if (holders === undefined) return i;
    if (new Set(holders).size === count) addAll(path, entry);
    else for (const k of holders) add(path, entry, k);
  }
  return -1;
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
