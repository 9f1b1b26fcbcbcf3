// Writing each machine's own part of the base on the machine, after an apply (state/machineBase.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSetDir } from '../config/setName.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import { countBaseFiles, renderBaseBody, renderBaseHead } from '../state/machineBase.js';
import { runRsyncFolder } from '../transport/rsync.js';
import { buildRsyncEndpoint } from '../transport/targets.js';
import type { Base, Config } from '../types.js';

/** A new sync id: the time (base 36) and 6 random hex digits. */
export function buildSyncId(nowMs: number): string {
  return `${nowMs.toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface MachineBaseWrite {
  readonly config: Config;
  readonly self: string;
  readonly sshOptions: readonly string[];
  /** The whole base after the apply (readWholeBase). */
  readonly base: Base;
  /** The machines whose base this sync writes (they took part in it). */
  readonly machines: readonly string[];
  /** What the plan's scans said of the machines' bases (whose heads name the machines synced before). */
  readonly before: MachineBases;
  readonly id: string;
  readonly nowMs: number;
  readonly host: string;
  readonly pid: number;
}

/**
 * Writes, on each machine of `machines`, its part of `base` as the base of sync `id`: the body
 * first, then the head naming it (one rsync per machine, all at once). Returns the machines
 * written; a machine that could not be written keeps its older base (and says so next time).
 */
export async function applyMachineBases(req: MachineBaseWrite): Promise<Set<string>> {
  const { config } = req;
  if (req.machines.length === 0) return new Set();
  const setDir = buildSetDir(config.setName);
  // Every machine a sync ever wrote stays named, so that one that lost its record is noticed by any controller.
  const named = new Set<string>(req.machines);
  for (const f of req.before.found.values()) if (f.kind === 'cached' || f.kind === 'sent') for (const n of f.head.machines) named.add(n);
  const machines = config.machines.map((m) => m.name).filter((n) => named.has(n));
  const staging = await mkdtemp(join(config.stateDir, 'tmp-bases-'));
  try {
    const results = await Promise.all(
      req.machines.map(async (name) => {
        const machine = config.machines.find((m) => m.name === name);
        if (machine === undefined) return null;
        const paths = req.base.covered?.get(name) ?? [];
        const entries = req.base.get(name);
        const folder = join(staging, name);
        const dir = join(folder, ...setDir.split('/'));
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, `base-${req.id}`), renderBaseBody(entries ?? new Map()));
        const head = { id: req.id, set: config.setName, at: new Date(req.nowMs).toISOString(), by: { host: req.host, pid: req.pid }, paths, machines, files: countBaseFiles(entries, paths) };
        await writeFile(join(dir, 'head'), renderBaseHead(head));
        const sent = await runRsyncFolder({ from: folder, to: buildRsyncEndpoint(machine, req.self), sshOptions: req.sshOptions, stallTimeout: config.stallTimeout });
        return sent.ok ? name : null;
      }),
    );
    return new Set(results.filter((n): n is string => n !== null));
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}
