// Writing each machine's own part of the base on the machine, after an apply (state/machineBase.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildUnderTest } from '../config/paths.js';
import { buildSetDir } from '../config/setName.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import { findChangedBasePaths } from '../state/baseChanges.js';
import { isSameBaseEntry } from '../state/baseRows.js';
import { countBaseFiles, renderBaseBody, renderBaseHead, renderBaseRecords, type MachineBaseHead } from '../state/machineBase.js';
import { runRsyncFolder } from '../transport/rsync.js';
import { buildRsyncEndpoint } from '../transport/targets.js';
import type { Base, Config, Entry } from '../types.js';
import { BlatError } from '../errors.js';
import { describeError } from '../state/fsErrors.js';

/** A chain may add this many records in later files even when a quarter of its first file is fewer. */
const CHAIN_MIN_ROWS = 1000;

/** A new sync id: the time (base 36) and 6 random hex digits. */
export function buildSyncId(nowMs: number): string {
  return `${nowMs.toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface MachineBaseWrite {
  readonly config: Config;
  readonly self: string;
  readonly sshOptions: readonly string[];
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
interface Written {
  readonly body: Buffer;
  readonly head: MachineBaseHead;
}

/**
 * Writes, on each machine of `machines`, its part of the base as the base of sync `id`: a file of
 * what changed added to its chain when the machine's chain is the one `previous` stands for and
 * stays short, else its whole part in a new file; then the head naming the chain (one rsync per
 * machine, all at once). Returns the machines written; a machine that could not be written keeps
 * its older base (and says so next time).
 */
export async function applyMachineBases(req: MachineBaseWrite): Promise<Set<string>> {
  const { config } = req;
  if (req.machines.length === 0) return new Set();
  const setDir = buildSetDir(config.setName);
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
  const build = async (name: string): Promise<Written> => {
    const paths = req.next.covered?.get(name) ?? [];
    const f = req.before.found.get(name);
    const before = f?.kind === 'cached' || f?.kind === 'sent' ? f.head : undefined;
    const after = req.next.get(name) ?? new Map<string, Entry>();
    const mine = changed.filter((p) => !isSameBaseEntry(req.previous.get(name)?.get(p), after.get(p)));
    if (before !== undefined && sameList(before.paths, paths) && before.logRows + mine.length <= Math.max(CHAIN_MIN_ROWS, before.rows / 4)) {
      const files = { ...before.files };
      const under = paths.map((p) => [p, buildUnderTest([p])] as const);
      const isFile = (e: Entry | undefined) => e !== undefined && e.type !== 'dir';
      for (const p of mine) {
        const delta = (isFile(after.get(p)) ? 1 : 0) - (isFile(req.previous.get(name)?.get(p)) ? 1 : 0);
        if (delta !== 0) for (const [sp, test] of under) if (test(p)) files[sp] = (files[sp] ?? 0) + delta;
      }
      const head = { ...identity, id: req.id, chain: [...before.chain, req.id], rows: before.rows, logRows: before.logRows + mine.length, paths, files };
      return { body: renderBaseRecords(after, mine), head };
    }
    whole ??= req.readWhole();
    const entries = (await whole).get(name) ?? new Map<string, Entry>();
    return { body: renderBaseBody(entries), head: { ...identity, id: req.id, chain: [req.id], rows: entries.size, logRows: 0, paths, files: countBaseFiles(entries, paths) } };
  };
  const staging = await mkdtemp(join(config.stateDir, 'tmp-bases-')).catch((error: unknown) => {
    throw new BlatError(`${join(config.stateDir, 'tmp-bases-*')}: cannot write (${describeError(error)})`, { cause: error });
  });
  try {
    const results = await Promise.all(
      req.machines.map(async (name) => {
        const machine = config.machines.find((m) => m.name === name);
        if (machine === undefined) return null;
        const { body, head } = await build(name);
        const folder = join(staging, name);
        const dir = join(folder, ...setDir.split('/'));
        try {
          await mkdir(dir, { recursive: true });
          await writeFile(join(dir, `base-${req.id}`), body);
          await writeFile(join(dir, 'head'), renderBaseHead(head));
        } catch (error) {
          throw new BlatError(`${dir}: cannot write (${describeError(error)})`, { cause: error });
        }
        const sent = await runRsyncFolder({ from: folder, to: buildRsyncEndpoint(machine, req.self), sshOptions: req.sshOptions, stallTimeout: config.stallTimeout });
        return sent.ok ? name : null;
      }),
    );
    return new Set(results.filter((n): n is string => n !== null));
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
