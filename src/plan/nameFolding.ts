// Names on filesystems that fold them: case-insensitive ones (FAT, exFAT, APFS and HFS+ by
// default) and normalizing ones (APFS, HFS+: an NFC name and its NFD form are one file).
//
// Paths stay byte-exact everywhere: the planner keys every path by its bytes, as each machine
// lists it. Folding is used for comparison only, and only where a machine folds:
// - a normalizing machine's paths that another machine holds in another Unicode form (its
//   NFC or NFD twin) are taken under that other form, so that one file is one path (HFS+ lists
//   `café` in NFD what a Linux machine holds in NFC); scripts and rsync then name it in that form
//   there, which that filesystem finds (it folds);
// - names that fold to one on a folding machine (`README` and `readme`; `café` in NFC and in NFD
//   held by two other machines) cannot both live there: each is a conflict, listed, and left alone
//   with everything under it, so that neither is ever written over the other.
import type { Base, Entry, NameFolding } from '../types.js';

/** The key `path` is compared by on a machine folding names as `f`. */
export function foldName(path: string, f: NameFolding): string {
  const p = f.unicode && !isAscii(path) ? path.normalize('NFC') : path;
  return f.case ? p.toLowerCase() : p;
}

const ASCII = /^[\x00-\x7f]*$/;
function isAscii(s: string): boolean {
  return ASCII.test(s);
}

/**
 * The entries and base of each normalizing machine of `names` with the paths that another online
 * machine holds in another Unicode form (and in that one form only) renamed to it (pure). Maps
 * without such paths are returned as they are; nothing is walked unless a machine normalizes.
 */
export function adoptOtherForms(
  names: readonly string[],
  maps: readonly ReadonlyMap<string, Entry>[],
  base: Base,
  folding: Readonly<Record<string, NameFolding>>,
): { maps: ReadonlyMap<string, Entry>[]; base: Base } {
  const normalizing = names.map((n) => folding[n]?.unicode === true);
  if (!normalizing.includes(true)) return { maps: [...maps], base };
  // NFC key → the forms the machines that do not normalize hold (non-ASCII paths only).
  const forms = new Map<string, Set<string>>();
  maps.forEach((map, k) => {
    if (normalizing[k]) return;
    for (const path of map.keys()) {
      if (isAscii(path)) continue;
      const key = path.normalize('NFC');
      let set = forms.get(key);
      if (set === undefined) forms.set(key, (set = new Set()));
      set.add(path);
    }
  });
  const outMaps = [...maps];
  const outBase = new Map(base);
  maps.forEach((map, k) => {
    if (!normalizing[k]) return;
    const renames = new Map<string, string>();
    for (const path of map.keys()) {
      if (isAscii(path)) continue;
      const set = forms.get(path.normalize('NFC'));
      if (set === undefined || set.size !== 1 || set.has(path)) continue;
      const other = set.values().next().value as string;
      if (!map.has(other)) renames.set(path, other);
    }
    if (renames.size === 0) return;
    outMaps[k] = renameKeys(map, renames);
    const b = base.get(names[k]);
    if (b !== undefined) outBase.set(names[k], renameKeys(b, renames));
  });
  return { maps: outMaps, base: outBase };
}

function renameKeys(map: ReadonlyMap<string, Entry>, renames: ReadonlyMap<string, string>): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const [path, entry] of map) out.set(renames.get(path) ?? path, entry);
  return out;
}

/** Paths whose names collide on a folding machine: path → the machine and every name of its group. */
export type Collisions = ReadonlyMap<string, { readonly machine: string; readonly names: readonly string[] }>;

/**
 * The paths held by the online machines (`maps`) that fold to one name on a folding machine among
 * `names` (pure). Linear in the entries, per folding machine; empty when none folds.
 */
export function findCollisions(names: readonly string[], maps: readonly ReadonlyMap<string, Entry>[], folding: Readonly<Record<string, NameFolding>>): Collisions {
  const out = new Map<string, { machine: string; names: string[] }>();
  for (const machine of names) {
    const f = folding[machine];
    if (f === undefined || (!f.case && !f.unicode)) continue;
    // folded key → the first path seen with it; the others only where there are some (rare).
    const first = new Map<string, string>();
    const more = new Map<string, string[]>();
    for (let k = 0; k < maps.length; k++) {
      for (const path of maps[k].keys()) {
        // Most paths are on every machine: once seen, not folded again.
        if (k > 0 && heldBefore(maps, k, path)) continue;
        const key = foldName(path, f);
        const p0 = first.get(key);
        if (p0 === undefined) first.set(key, path);
        else if (p0 !== path) {
          const list = more.get(key);
          if (list === undefined) more.set(key, [path]);
          else if (!list.includes(path)) list.push(path);
        }
      }
    }
    for (const [key, list] of more) {
      const group = [first.get(key) as string, ...list].sort();
      for (const path of group) if (!out.has(path)) out.set(path, { machine, names: group });
    }
  }
  return out;
}

function heldBefore(maps: readonly ReadonlyMap<string, Entry>[], k: number, path: string): boolean {
  for (let j = 0; j < k; j++) if (maps[j].has(path)) return true;
  return false;
}
