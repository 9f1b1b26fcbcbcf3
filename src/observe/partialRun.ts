// Planning only the paths that differ from the listing the machines' seen lines stand for (README: "Seen lines").
import { diffListing, type ListingDiff } from '../snapshot/listingDiff.js';
import { buildPartialParts } from '../snapshot/partialSnapshot.js';
import type { MachineScan } from '../snapshot/scanMachine.js';
import type { MachineScans, Observation, ScanRequest } from '../snapshot/scanSnapshot.js';
import { adoptPartialBase, withCoverage, type BaseOrigin } from '../state/base.js';
import type { Base, Snapshot } from '../types.js';

/**
 * What the listings were compared with: the listing every scanned machine held alike under a seen
 * token (the controller's copy), its record and file counts, and where the base on disk stood when
 * it held exactly that listing (the partial base is declared to be that base at its paths).
 */
export interface PartialReference {
  readonly records: number;
  readonly files: number;
  readonly base?: BaseOrigin;
}

/**
 * The partial snapshot and base of scans compared with a reference listing; null when they cannot
 * be had that way (a machine not online, a listing not well formed, a special file). A machine
 * that answered "same" under the reference's seen token has no diff of its own: it holds the reference.
 */
export function buildPartialRun(
  synced: PartialReference,
  diffs: readonly (ListingDiff | null | undefined)[],
  scans: MachineScans,
  observed: Observation,
  req: ScanRequest,
  takenAtMs: number,
): { snapshot: Snapshot; base: Base; paths: number } | null {
  const names: string[] = [];
  const found: ListingDiff[] = [];
  for (let i = 0; i < scans.length; i++) {
    const scan = scans[i];
    if (scan === null) continue;
    const diff = scan.ok && scan.output.unchanged ? { now: new Map(), was: new Map(), records: synced.records } : diffs[i];
    if (!diff || observed.machines[i].status !== 'online') return null;
    found.push(diff);
    names.push(req.config.machines[i].name);
  }
  const parts = buildPartialParts(names, found, synced);
  if (parts === null) return null;
  // The base that listing stands for covered every one of them for these paths.
  const base = withCoverage(parts.base, new Map(names.map((n) => [n, req.paths])));
  if (synced.base !== undefined) adoptPartialBase(base, synced.base);
  const snapshot: Snapshot = Object.freeze({
    self: req.self,
    paths: Object.freeze([...req.paths]),
    machines: observed.machines,
    entries: parts.entries,
    takenAtMs,
    digest: observed.digest,
    partial: parts.info,
  });
  return { snapshot, base, paths: parts.paths };
}

/**
 * A machine's listing compared with the synced one (of `records` records); null when there is none
 * to compare, when it is not well formed (it is then read whole, and its fault reported as usual),
 * or when so much of it changed that reading it whole is cheaper.
 */
export function diffScan(reference: Buffer | null, scan: MachineScan, records: number): ListingDiff | null {
  if (reference === null || !scan.ok || !scan.output.rootExists || scan.output.listing === undefined) return null;
  try {
    return diffListing(reference, scan.output.listing, Math.max(1000, records / 4));
  } catch {
    return null;
  }
}
