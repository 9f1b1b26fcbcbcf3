import { createHash } from 'node:crypto';
import { BlatError } from '../errors.js';
import type { Config, Entry, MachineObservation, Snapshot } from '../types.js';
import { buildScriptTarget } from '../transport/targets.js';
import { scanMachine } from './scanMachine.js';

export interface ScanRequest {
  readonly config: Config;
  readonly self: string;
  /** Sync paths to scan (already narrowed by path arguments). */
  readonly paths: readonly string[];
  /** ssh options from buildSshOptions (with the control socket directory). */
  readonly sshOptions: readonly string[];
}

export interface ScanResult {
  readonly snapshot: Snapshot;
  /** Non-fatal complaints of the scans (unreadable folders…), one line each, prefixed by machine. */
  readonly warnings: readonly string[];
}

/**
 * Scans every machine that is not out of use, all at once, one command each, into a frozen
 * Snapshot. Unreachable machines become offline observations; self must answer.
 */
export async function scanSnapshot(req: ScanRequest): Promise<ScanResult> {
  const { config, self } = req;
  const scans = await Promise.all(
    config.machines.map(async (m) =>
      m.state === 'outofuse'
        ? null
        : scanMachine(m, buildScriptTarget(m, self, req.sshOptions), { paths: req.paths, mode: 'tree', exclude: config.exclude }),
    ),
  );
  const machines: MachineObservation[] = [];
  const entries = new Map<string, ReadonlyMap<string, Entry>>();
  const warnings: string[] = [];
  const digest = createHash('sha256');
  config.machines.forEach((m, i) => {
    const scan = scans[i];
    let obs: MachineObservation;
    if (scan === null) {
      obs = { name: m.name, status: 'outofuse' };
    } else if (!scan.ok) {
      if (m.name === self) throw new BlatError(`cannot scan self (${m.name}): ${scan.reason}`);
      obs = { name: m.name, status: 'offline', reason: scan.reason };
    } else if (!scan.output.rootExists) {
      if (m.name === self) throw new BlatError(`self (${m.name}): root ${m.root} does not exist`);
      obs = { name: m.name, status: 'offline', reason: `root ${m.root} missing`, os: scan.os };
    } else {
      obs = { name: m.name, status: 'online', os: scan.os, clockOffsetMs: scan.clockOffsetMs };
      entries.set(m.name, scan.output.entries);
      for (const w of scan.warnings) warnings.push(`${m.name}: ${w}`);
      if (scan.output.skipped > 0) warnings.push(`${m.name}: ${scan.output.skipped} special files (sockets, fifos, devices) left alone`);
      digest.update(`${m.name}\0${scan.digest}\0`);
    }
    digest.update(`${m.name}\0${obs.status}\0`);
    machines.push(Object.freeze(obs));
  });
  const snapshot: Snapshot = Object.freeze({
    self,
    paths: Object.freeze([...req.paths]),
    machines: Object.freeze(machines),
    entries,
    takenAtMs: Date.now(),
    digest: digest.digest('hex'),
  });
  return { snapshot, warnings };
}
