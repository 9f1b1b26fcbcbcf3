// Moves: a path gone from one machine (the mover) and a new path there holding the same version
// are one move, carried out on the other machines by `mv`, not a deletion plus a transfer.
import type { Entry, Step } from '../types.js';
import { byPath, isUnder } from '../config/paths.js';
import { sameVersion } from './versions.js';

/**
 * A clean deletion: the base of every online machine held `path`, the movers no longer do, every
 * other online machine (`holders`) still holds its base version, and no offline machine's base has it.
 */
export interface MoveFrom {
  readonly path: string;
  /** The machines it was deleted on (config order; usually one). */
  readonly movers: readonly string[];
  /** The first mover's base entry: what it moved. */
  readonly entry: Entry;
  /** Holder (online machine, config order) → its entry at the path now (its base version). */
  readonly holders: ReadonlyMap<string, Entry>;
}

/** A clean creation: only the movers hold `path`, alike, and every online machine was synced there holding nothing. */
export interface MoveTo {
  readonly path: string;
  /** The machines holding it (config order; usually one). */
  readonly movers: readonly string[];
  readonly entry: Entry;
}

/** What buildMoves needs besides the candidates. */
export interface MoveLook {
  /** Whether two entries of a mover are the same version (its window and modes). */
  readonly same: (mover: string, a: Entry, b: Entry) => boolean;
  /** What `machine` holds at `path` now (undefined = absent, or not online). */
  readonly holds: (machine: string, path: string) => Entry | undefined;
  /**
   * Whether `holds` can tell what the machines hold at `path`: not above the scanned paths (the move
   * script checks there). (A partial snapshot holds the folders of every path that differs.)
   */
  readonly known: (path: string) => boolean;
  /**
   * Paths decided as anything but a clean deletion or creation (conflicts, other deletions, wins,
   * folders left undecided), sorted: a folder with one of them under it is not moved whole.
   */
  readonly blockers: readonly string[];
}

/** The moves found: their steps (sorted by path, then holder order), and the candidate paths they take up. */
export interface Moves {
  readonly steps: readonly Step[];
  /** Old paths (and everything under moved folders) no longer deletions. */
  readonly movedFrom: ReadonlySet<string>;
  /** New paths (and what a moved folder brings under them) no longer transferred. */
  readonly movedTo: ReadonlySet<string>;
}

/**
 * Pairs clean deletions with clean creations on the same mover. A folder pairs with a new folder
 * when nothing under it is blocked and every deletion under it has a creation at the same relative
 * name holding the same version: one move for the folder. Then each remaining file or symlink pairs
 * with the one creation holding its version (the one of the same name when several do), where every
 * holder has the new path's folder. One step per holder; none when nothing pairs.
 */
export function buildMoves(froms: readonly MoveFrom[], tos: readonly MoveTo[], look: MoveLook): Moves {
  const movedFrom = new Set<string>();
  const movedTo = new Set<string>();
  const pairs: { from: MoveFrom; to: MoveTo }[] = [];
  if (froms.length === 0 || tos.length === 0) return { steps: [], movedFrom, movedTo };
  const sortedFroms = [...froms].sort(byPath);
  const toAt = new Map(tos.map((t) => [t.path, t]));
  const parentOk = (d: MoveFrom, to: string) => {
    const i = to.lastIndexOf('/');
    if (i === -1) return true;
    const parent = to.slice(0, i);
    if (!look.known(parent)) return true;
    for (const h of d.holders.keys()) if (look.holds(h, parent)?.type !== 'dir') return false;
    return true;
  };

  // Creations by what pairs them (below): a few candidates each, whatever the numbers.
  const byKey = new Map<string, MoveTo[]>();
  const dirsByName = new Map<string, MoveTo[]>();
  for (const t of tos) {
    const [map, key] = t.entry.type === 'dir' ? [dirsByName, `${t.movers.join('\0')}\0${baseName(t.path)}`] : [byKey, keyOf(t.movers, t.entry)];
    const list = map.get(key);
    if (list) list.push(t);
    else map.set(key, [t]);
  }
  const paths = sortedFroms.map((d) => d.path);

  // 1. Folders, outermost first. The new folder is found through the first file under the old one
  //    (its creations of that version ending in the same relative name), else by the folder's name.
  for (const d of sortedFroms) {
    if (d.entry.type !== 'dir' || movedFrom.has(d.path)) continue;
    if (firstUnder(look.blockers, d.path) !== undefined) continue;
    const under = [d, ...sortedFroms.slice(lowerBound(paths, `${d.path}/`), lowerBound(paths, `${d.path}0`))]; // '0' follows '/'
    const file = under.find((u) => u.entry.type !== 'dir');
    let candidates: MoveTo[];
    if (file === undefined) candidates = dirsByName.get(`${d.movers.join('\0')}\0${baseName(d.path)}`) ?? [];
    else {
      const rel = file.path.slice(d.path.length);
      candidates = (byKey.get(keyOf(file.movers, file.entry)) ?? []).flatMap((c) => {
        if (!c.path.endsWith(rel) || c.path.length === rel.length) return [];
        const t = toAt.get(c.path.slice(0, -rel.length));
        return t === undefined ? [] : [t];
      });
    }
    const fits = (t: MoveTo) =>
      sameMovers(t, d) &&
      t.entry.type === 'dir' &&
      !movedTo.has(t.path) &&
      !isUnder(t.path, d.path) &&
      !isUnder(d.path, t.path) &&
      parentOk(d, t.path) &&
      under.every((u) => {
        if (!sameMovers(u, d) || !sameHolders(u, d)) return false;
        const c = toAt.get(t.path + u.path.slice(d.path.length));
        return c !== undefined && sameMovers(c, d) && !movedTo.has(c.path) && look.same(d.movers[0], u.entry, c.entry);
      });
    const found = candidates.filter(fits).sort(byPath);
    if (found.length === 0) continue;
    const t = found.find((c) => baseName(c.path) === baseName(d.path)) ?? found[0];
    pairs.push({ from: d, to: t });
    for (const u of under) {
      movedFrom.add(u.path);
      movedTo.add(t.path + u.path.slice(d.path.length));
    }
  }

  // 2. Files and symlinks left, each with the one creation holding its version.
  for (const d of sortedFroms) {
    if (d.entry.type === 'dir' || movedFrom.has(d.path)) continue;
    const found = (byKey.get(keyOf(d.movers, d.entry)) ?? []).filter((t) => !movedTo.has(t.path) && look.same(d.movers[0], d.entry, t.entry) && parentOk(d, t.path));
    const named = found.filter((t) => baseName(t.path) === baseName(d.path));
    const t = found.length === 1 ? found[0] : named.length === 1 ? named[0] : undefined;
    if (t === undefined) continue;
    pairs.push({ from: d, to: t });
    movedFrom.add(d.path);
    movedTo.add(t.path);
  }

  const steps: Step[] = [];
  pairs.sort((a, b) => byPath(a.to, b.to));
  for (const { from, to } of pairs) {
    for (const [holder, entry] of from.holders) {
      steps.push(Object.freeze({ action: 'move' as const, path: to.path, was: from.path, from: from.movers[0], to: holder, source: entry, target: null }));
    }
  }
  return { steps, movedFrom, movedTo };
}

/** The same movers (names, in order) on both ends. */
function sameMovers(a: { readonly movers: readonly string[] }, b: { readonly movers: readonly string[] }): boolean {
  return a.movers.length === b.movers.length && a.movers.every((m, k) => b.movers[k] === m);
}

/** The same holders (names) on both deletions. */
function sameHolders(a: MoveFrom, b: MoveFrom): boolean {
  if (a.holders.size !== b.holders.size) return false;
  for (const h of a.holders.keys()) if (!b.holders.has(h)) return false;
  return true;
}

/**
 * What pairs a file or symlink with its candidates: movers, size and exact mtime (a rename keeps
 * it to the nanosecond, and both entries are the mover's own scans); links: their target.
 */
function keyOf(movers: readonly string[], e: Entry): string {
  const mover = movers.join('\0');
  return e.type === 'symlink' ? `${mover}\0l\0${e.target ?? ''}` : `${mover}\0f\0${e.size}\0${e.mtime}`;
}

/** The index of the first of the sorted `paths` not before `key`. */
function lowerBound(paths: readonly string[], key: string): number {
  let lo = 0;
  let hi = paths.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (paths[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first of the sorted `paths` equal to or under `folder`. */
function firstUnder(paths: readonly string[], folder: string): string | undefined {
  const at = lowerBound(paths, folder);
  if (paths[at] === folder) return folder;
  const lo = lowerBound(paths, `${folder}/`);
  return lo < lowerBound(paths, `${folder}0`) ? paths[lo] : undefined;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

