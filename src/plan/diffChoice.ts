// Which two versions `blat diff` compares: pure, from what each online machine holds at the path.
import type { Entry } from '../types.js';

/** One version of the path and the machines holding it (config order). */
export interface HeldVersion {
  readonly entry: Entry;
  readonly machines: readonly string[];
}

/** The two versions to compare (`a` shown as the old side), the one version everyone holds, or why nothing can be compared. */
export type DiffChoice =
  | { readonly kind: 'pair'; readonly a: HeldVersion; readonly b: HeldVersion }
  | { readonly kind: 'same'; readonly version: HeldVersion }
  | { readonly kind: 'none'; readonly reason: string };

/** True when two entries are the very same version: type, size, mtime, mode and target equal. */
function identical(a: Entry, b: Entry): boolean {
  return a.type === b.type && a.size === b.size && a.mtime === b.mtime && a.mode === b.mode && a.target === b.target;
}

/**
 * The versions held at one path, in config order of their first holder: `held` lists each online
 * machine (config order) with its entry (undefined = absent there).
 */
export function buildHeldVersions(held: readonly { machine: string; entry: Entry | undefined }[]): HeldVersion[] {
  const versions: { entry: Entry; machines: string[] }[] = [];
  for (const { machine, entry } of held) {
    if (entry === undefined) continue;
    const same = versions.find((v) => identical(v.entry, entry));
    if (same) same.machines.push(machine);
    else versions.push({ entry, machines: [machine] });
  }
  return versions;
}

/**
 * The pair `blat diff` shows: the versions of the two named machines (in that order), or by
 * default the two newest versions, the older as `a` (by mtime; config order breaks a tie).
 */
export function buildDiffChoice(versions: readonly HeldVersion[], named?: readonly [string, string]): DiffChoice {
  if (named !== undefined) {
    const [x, y] = named.map((m) => versions.find((v) => v.machines.includes(m)));
    const missing = named.filter((_, k) => (k === 0 ? x : y) === undefined);
    if (missing.length > 0) return { kind: 'none', reason: `${missing.join(' and ')} ${missing.length > 1 ? 'hold' : 'holds'} no copy of it` };
    if (x === y) return { kind: 'same', version: x as HeldVersion };
    return { kind: 'pair', a: x as HeldVersion, b: y as HeldVersion };
  }
  if (versions.length === 0) return { kind: 'none', reason: 'no machine that answered holds it' };
  if (versions.length === 1) return { kind: 'same', version: versions[0] };
  const order = versions.map((v, i) => ({ v, i })).sort((p, q) => q.v.entry.mtime - p.v.entry.mtime || p.i - q.i);
  return { kind: 'pair', a: order[1].v, b: order[0].v };
}
