// What the scans say of each machine's own base (state/machineBase.ts): pure.
import { createHash } from 'node:crypto';
import { parseBaseHead, type MachineBaseHead } from '../state/machineBase.js';
import { withCoverage } from '../state/base.js';
import type { Base, Entry } from '../types.js';
import { parseListing } from './parseScan.js';
import type { MachineScans } from './scanSnapshot.js';

/** One online machine's base, as its scan told it. */
export type MachineBaseFound =
  /** Its head names the body the controller holds (`have`): the controller's copy is its base. */
  | { readonly kind: 'cached'; readonly head: MachineBaseHead }
  /** Its head names another body, which it sent. */
  | { readonly kind: 'sent'; readonly head: MachineBaseHead; readonly entries: ReadonlyMap<string, Entry> }
  /**
   * It holds no base of the set: a new machine (empty base, nothing covered) — or, when the
   * controller's state folder held a base from before bases lived on the machines, that one (`seed`).
   */
  | { readonly kind: 'none'; readonly seed: boolean }
  /** It holds none, or holds an emptied tree, though it took part in a sync: not the disk that was synced. */
  | { readonly kind: 'lost'; readonly reason: string };

/** What the scans said of the machines' bases. */
export interface MachineBases {
  /** Online machine (config order) → its base. */
  readonly found: ReadonlyMap<string, MachineBaseFound>;
  /** True when every online machine's base is the controller's copy of it (nothing sent, none new or lost, none seeded). */
  readonly cached: boolean;
  /** Online machines whose head or body is damaged → what to say of it (they take no part). */
  readonly damaged: ReadonlyMap<string, string>;
  /** The ids the controller's copy was known to hold when the scan asked (bases.json then; null: no record). */
  readonly have: ReadonlyMap<string, string> | null;
}

/**
 * Reads each online machine's base section. `have`: the sync id of the controller's copy of each
 * machine's base (null when the controller has no record of them: its copy, if any, predates
 * bases on the machines and seeds those that hold none). `newMachines`: machines to take as new
 * whatever they hold (`--new`). `wholePaths`: the scanned paths that are whole sync paths (where
 * an emptied tree is noticed). A damaged head or body makes that machine's entry a failure reason.
 */
export function readMachineBases(
  names: readonly string[],
  scans: MachineScans,
  online: (name: string) => boolean,
  have: ReadonlyMap<string, string> | null,
  newMachines: ReadonlySet<string>,
  wholePaths: readonly string[],
  setDir: string,
): MachineBases {
  const found = new Map<string, MachineBaseFound>();
  const damaged = new Map<string, string>();
  const heads = new Map<string, MachineBaseHead>();
  names.forEach((name, i) => {
    const scan = scans[i];
    if (!online(name) || !scan?.ok || scan.output.base === undefined || scan.output.base.head === '') return;
    const head = parseBaseHead(scan.output.base.head);
    if (head === undefined) damaged.set(name, `its base record ${setDir}/head is damaged; remove ${setDir} there to take it as a new machine`);
    else heads.set(name, head);
  });
  // Machines some sync wrote a base for, as the others' heads (and the controller's copy) say.
  const synced = new Set<string>([...(have?.keys() ?? [])]);
  for (const head of heads.values()) for (const n of head.machines) synced.add(n);
  let cached = have !== null;
  const parsed = new Map<string, ReadonlyMap<string, Entry>>();
  names.forEach((name, i) => {
    const scan = scans[i];
    if (!online(name) || !scan?.ok || damaged.has(name)) return;
    const head = heads.get(name);
    if (newMachines.has(name)) {
      found.set(name, { kind: 'none', seed: false });
      cached = false;
      return;
    }
    if (head === undefined) {
      if (synced.has(name)) {
        found.set(name, { kind: 'lost', reason: `not the disk that was synced? its root holds no record of the last sync (${setDir}); left out (\`--new ${name}\` takes it as a new machine)` });
      } else found.set(name, { kind: 'none', seed: have === null });
      if (have !== null || synced.has(name)) cached = false;
      return;
    }
    const emptied = findEmptiedPath(head, scan.output, wholePaths);
    if (emptied !== undefined) {
      found.set(name, { kind: 'lost', reason: `not the disk that was synced? ${emptied} is empty there, though it held ${head.files[emptied]} files after the last sync; left out (\`--new ${name}\` takes it as a new machine)` });
      cached = false;
      return;
    }
    const base = scan.output.base!;
    if (base.had) {
      found.set(name, { kind: 'cached', head });
      return;
    }
    cached = false;
    try {
      // Machines synced together send the same bytes: read once, one map they share.
      const body = base.body ?? Buffer.alloc(0);
      const key = createHash('sha256').update(body).digest('hex');
      let entries = parsed.get(key);
      if (entries === undefined) parsed.set(key, (entries = parseListing(body).entries));
      found.set(name, { kind: 'sent', head, entries });
    } catch {
      damaged.set(name, `its base ${setDir}/base-${head.id} is damaged; remove ${setDir} there to take it as a new machine`);
    }
  });
  if (damaged.size > 0) cached = false;
  return { found, cached, damaged, have };
}

/** A whole sync path the head says held files and under which the scan found nothing at all; undefined when none. */
function findEmptiedPath(head: MachineBaseHead, output: { readonly unchanged: boolean; readonly entries: ReadonlyMap<string, Entry>; readonly listing?: Buffer; readonly skipped: number }, wholePaths: readonly string[]): string | undefined {
  if (output.unchanged) return undefined;
  const held = wholePaths.filter((p) => (head.files[p] ?? 0) > 0);
  if (held.length === 0) return undefined;
  // A listing kept unparsed: only a listing with no record at all is known to be empty.
  if (output.entries.size === 0) return output.listing === undefined || output.listing.length === 0 ? held[0] : undefined;
  const seen = new Set<string>();
  for (const [path, e] of output.entries) {
    if (e.type === 'dir') continue;
    for (const p of held) if (path.startsWith(`${p}/`)) seen.add(p);
    if (seen.size === held.length) return undefined;
  }
  return held.find((p) => !seen.has(p));
}

/**
 * The base to plan with: the controller's copy (`cached`) with each machine's part replaced by
 * what its scan said — the body it sent, nothing for a new machine — and each machine covered for
 * the paths its head names. `cached` itself when the scans said nothing new.
 */
export function buildBaseFromMachines(cached: Base, bases: MachineBases): Base {
  if (bases.cached) return cached;
  const out = new Map<string, ReadonlyMap<string, Entry>>(cached);
  const covered = new Map<string, readonly string[]>(cached.covered ?? []);
  for (const [name, f] of bases.found) {
    if (f.kind === 'sent') {
      if (f.entries.size > 0) out.set(name, f.entries);
      else out.delete(name);
      covered.set(name, f.head.paths);
    } else if (f.kind === 'cached') covered.set(name, f.head.paths);
    else if (f.kind === 'none' && !f.seed) {
      out.delete(name);
      covered.delete(name);
    }
  }
  return withCoverage(out, covered);
}
