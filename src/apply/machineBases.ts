// Each machine's own part of the base after an apply, as the files to write on it (state/machineBase.ts).
import type { MachineBases } from '../snapshot/machineBases.js';
import { findChangedBasePaths } from '../state/baseChanges.js';
import { hasSameEntries, isSameBaseEntry } from '../state/baseRows.js';
import { countBaseFiles, renderBaseBody, renderBaseHead, renderBaseRecords, type MachineBaseHead } from '../state/machineBase.js';
import type { SetFile } from '../transport/setFilesScript.js';
import type { Base, Config, Entry } from '../types.js';
import { sameList } from '../sameList.js';

/** A chain may add this many records in later files even when a quarter of its first file is fewer. */
export const CHAIN_MIN_ROWS = 1000;

export interface MachineBaseWrite {
  readonly config: Config;
  /** The base the plan was made with (it may hold only the paths that could differ: see Snapshot.partial). */
  readonly previous: Base;
  /** The base after the apply, built from `previous`. */
  readonly next: Base;
  /** `next` with every path (readWholeBase): read only when some machine's base is written whole. */
  readonly readWhole: () => Promise<Base>;
  /** The machines whose base this sync writes (they took part in it). */
  readonly machines: readonly string[];
  /** What the plan's scans said of the machines' bases. */
  readonly before: MachineBases;
  readonly id: string;
  readonly nowMs: number;
  readonly host: string;
  readonly pid: number;
}

/** One machine's files to write: the file of this sync and the head. */
export interface Written {
  readonly body: Buffer;
  readonly head: MachineBaseHead;
}

/** Each machine's base after the sync (see buildMachineBaseFiles). */
export type MachineBaseAfter =
  /** Its files to write (a body, then the head), standing for sync `id`. */
  | { readonly kind: 'write'; readonly id: string; readonly files: readonly SetFile[] }
  /** Nothing of its base changed: its head, sync `id`, stands as it is. */
  | { readonly kind: 'unchanged'; readonly id: string };

/**
 * The files that make, on each machine of `machines`, its part of the base as the base of sync
 * `id`: a file of what changed added to its chain when the machine's chain is the one `previous`
 * stands for and stays short, else its whole part in a new file; then the head naming the chain.
 * A machine nothing of whose base changed is left as it is (other controllers' copies of it stay
 * good). Written by the lock's release (MachineLocks.release), while the machine is still locked.
 */
export async function buildMachineBaseFiles(req: MachineBaseWrite): Promise<Map<string, MachineBaseAfter>> {
  const { config } = req;
  const out = new Map<string, MachineBaseAfter>();
  if (req.machines.length === 0) return out;
  // Every machine a sync ever wrote stays named, so that one that lost its record is noticed by any controller.
  const named = new Set<string>(req.machines);
  for (const f of req.before.found.values()) if (f.kind === 'cached' || f.kind === 'sent') for (const n of f.head.machines) named.add(n);
  const identity = {
    set: config.setName,
    at: new Date(req.nowMs).toISOString(),
    by: { host: req.host, pid: req.pid },
    machines: config.machines.map((m) => m.name).filter((n) => named.has(n)),
  };
  const changed = [...findChangedBasePaths(req.previous, req.next)];
  let whole: Promise<Base> | undefined;
  const rendered: RenderedBodies = [];
  for (const name of req.machines) {
    if (!config.machines.some((m) => m.name === name)) continue;
    const f = req.before.found.get(name);
    const before = f?.kind === 'cached' || f?.kind === 'sent' ? f.head : undefined;
    let written = buildChainFile(name, before, req.previous, req.next, changed, { ...identity, id: req.id });
    if (written !== null && written.body.length === 0 && sameList(before!.machines, identity.machines)) {
      out.set(name, { kind: 'unchanged', id: before!.id });
      continue;
    }
    if (written === null) {
      whole ??= req.readWhole();
      written = buildWholeFile(name, await whole, { ...identity, id: req.id }, rendered);
    }
    const files = [
      { name: `base-${req.id}`, bytes: written.body },
      { name: 'head', bytes: Buffer.from(renderBaseHead(written.head), 'utf8') },
    ];
    out.set(name, { kind: 'write', id: req.id, files });
  }
  return out;
}

/** What a head says of the sync that writes it (MachineBaseHead without the chain, counts and paths). */
type SyncIdentity = Pick<MachineBaseHead, 'id' | 'set' | 'at' | 'by' | 'machines'>;

/**
 * The file that adds what this sync changed of machine `name`'s base to its chain `before` (the
 * chain `previous` stands for), with its head; null when it must be written whole instead: no chain
 * to add to, other sync paths covered, or the chain's later files would hold more records than a
 * quarter of its first one (at least CHAIN_MIN_ROWS). `changed`: the paths whose entry differs
 * between `previous` and `next` on some machine. A folder still a folder is left out: its times and
 * mode decide nothing (a folder is always the same version), so the chain may keep older ones.
 */
export function buildChainFile(name: string, before: MachineBaseHead | undefined, previous: Base, next: Base, changed: readonly string[], sync: SyncIdentity): Written | null {
  const paths = next.covered?.get(name) ?? [];
  const after = next.get(name) ?? new Map<string, Entry>();
  const was = previous.get(name);
  // A folder is the same version whatever its times (plan/versions.ts): a folder whose times moved is not written again.
  const mine = changed.filter((p) => {
    const a = was?.get(p);
    const b = after.get(p);
    return !(a?.type === 'dir' && b?.type === 'dir') && !isSameBaseEntry(a, b);
  });
  if (before === undefined || !sameList(before.paths, paths) || before.logRows + mine.length > Math.max(CHAIN_MIN_ROWS, before.rows / 4)) return null;
  const files = { ...before.files };
  const inside = paths.map((p) => [p, `${p}/`] as const);
  const isFile = (e: Entry | undefined) => e !== undefined && e.type !== 'dir';
  for (const p of mine) {
    const delta = (isFile(after.get(p)) ? 1 : 0) - (isFile(was?.get(p)) ? 1 : 0);
    if (delta !== 0) for (const [sp, prefix] of inside) if (p.startsWith(prefix)) files[sp] = (files[sp] ?? 0) + delta;
  }
  const head = { ...sync, chain: [...before.chain, sync.id], rows: before.rows, logRows: before.logRows + mine.length, paths, files };
  return { body: renderBaseRecords(after, mine), head };
}

/** Whole bodies rendered so far in one sync, with the entries each renders (any order). */
type RenderedBodies = { readonly entries: ReadonlyMap<string, Entry>; readonly body: Buffer }[];

/**
 * Machine `name`'s whole base (from `whole`, every path) as the first file of a new chain, with
 * its head. A body of `rendered` with the same entries is used again (after a sync that left them
 * alike, every machine's); one rendered here is added to it.
 */
export function buildWholeFile(name: string, whole: Base, sync: SyncIdentity, rendered: RenderedBodies = []): Written {
  const paths = whole.covered?.get(name) ?? [];
  const entries = whole.get(name) ?? new Map<string, Entry>();
  let body = rendered.find((r) => hasSameEntries(r.entries, entries))?.body;
  if (body === undefined) rendered.push({ entries, body: (body = renderBaseBody(entries)) });
  return { body, head: { ...sync, chain: [sync.id], rows: entries.size, logRows: 0, paths, files: countBaseFiles(entries, paths) } };
}
