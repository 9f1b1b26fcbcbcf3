// Recording, on every machine, that a scan found them all alike (state/seenLine.ts), and the
// controller's copy of what that finding stands for (state/seenListing.ts).
import { buildSetDir } from '../config/setName.js';
import { buildSyncId } from '../state/machineBase.js';
import { renderSeenLine } from '../state/seenLine.js';
import { writeSeenListing, type SeenListingRecord } from '../state/seenListing.js';
import type { MachineScans } from '../snapshot/scanSnapshot.js';
import { runScript } from '../transport/runScript.js';
import { buildWriteSeenScript } from '../transport/seenScript.js';
import { buildScriptTarget } from '../transport/targets.js';
import type { RunContext } from '../commands/context.js';

/** The scan that found every machine alike, and what it found. */
export interface AlikeFinding {
  readonly scans: MachineScans;
  /** The machine whose listing the scans kept (self; for a controller, the first scanned): the copy is its. */
  readonly keeper: string;
  /** The seen file of the scanned paths (buildSeenFileName). */
  readonly file: string;
  /** Paths alike everywhere, and how many of them are files or symlinks. */
  readonly paths: number;
  readonly files: number;
  /** The controller's copy in place (null: none), reused when the keeper answered "same" under its token. */
  readonly cached: SeenListingRecord | null;
  readonly sshOptions: readonly string[];
  readonly nowMs: number;
}

/**
 * Gives the finding a new token and writes it on every machine scanned (each with its own
 * listing's digest), after the controller's copy of the keeper's listing under that token; nothing
 * when every machine already answered "same" under one token. Both are caches: a machine or a
 * state folder that cannot take them only costs the next plan its speed.
 */
export async function recordSeen(ctx: RunContext, found: AlikeFinding): Promise<void> {
  const { config } = ctx;
  const scanned = config.machines.map((m, i) => ({ m, scan: found.scans[i] })).filter((x) => x.scan?.ok);
  const tokens = new Set(scanned.map(({ scan }) => (scan?.ok && scan.output.unchanged ? scan.seen?.token : undefined)));
  if (tokens.size === 1 && !tokens.has(undefined)) return;
  const token = buildSyncId(found.nowMs);
  const selfScan = scanned.find((x) => x.m.name === found.keeper)?.scan;
  if (selfScan?.ok) {
    const listing = selfScan.output.unchanged ? null : (selfScan.output.listing ?? null);
    const record = (bytes: number, digest: string): SeenListingRecord => ({ format: 1, token, paths: [...ctx.targets], listingBytes: bytes, listingDigest: digest });
    const write =
      listing !== null ? writeSeenListing(config.stateDir, record(listing.length, selfScan.digest), listing)
      : selfScan.output.unchanged && found.cached !== null && selfScan.seen?.token === found.cached.token ? writeSeenListing(config.stateDir, record(found.cached.listingBytes, found.cached.listingDigest), null)
      : Promise.resolve();
    await write.catch(() => undefined);
  }
  const setDir = buildSetDir(config.setName);
  await Promise.all(
    scanned.map(async ({ m, scan }) => {
      if (!scan?.ok) return;
      const line = renderSeenLine({ digest: scan.digest, token, paths: found.paths, files: found.files });
      const target = buildScriptTarget(m, ctx.self.name, found.sshOptions, { stallTimeout: config.stallTimeout });
      await runScript(target, buildWriteSeenScript(m.root, setDir, found.file, line), () => undefined).catch(() => undefined);
    }),
  );
}
