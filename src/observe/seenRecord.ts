// Recording, on every machine, that they were found alike (state/seenLine.ts), and the controller's
// copy of what that finding stands for (state/seenListing.ts).
import { buildSetDir } from '../config/setName.js';
import type { BaseOrigin } from '../state/base.js';
import { buildSyncId } from '../state/machineBase.js';
import { renderSeenLine } from '../state/seenLine.js';
import { writeSeenListing, type SeenListingRecord } from '../state/seenListing.js';
import type { MachineScans } from '../snapshot/scanSnapshot.js';
import { runScript } from '../transport/runScript.js';
import { buildWriteSeenScript } from '../transport/seenScript.js';
import { buildScriptTarget } from '../transport/targets.js';
import type { RunContext } from '../commands/context.js';

/** Where the machines' seen lines and the controller's copy of their listing come from, in a run. */
export interface SeenContext {
  /** The machine whose listing the scans kept (self; for a controller, the first scanned): the copy is its. */
  readonly keeper: string;
  /** The seen file of the scanned paths (buildSeenFileName). */
  readonly file: string;
  /** The controller's copy in place when the run began (null: none). */
  readonly cached: SeenListingRecord | null;
  /** The scans, config order (null: out of use). */
  readonly scans: MachineScans;
}

/** Machines found alike, and what was found. */
export interface AlikeFinding {
  readonly seen: SeenContext;
  /** Paths alike everywhere, and how many of them are files or symlinks. */
  readonly paths: number;
  readonly files: number;
  /** The base on disk, when it held exactly the keeper's listing for every machine (SeenListingRecord.base). */
  readonly base?: BaseOrigin;
  /**
   * Each machine's listing digest now, for machines whose scan no longer says it: null for one an
   * apply wrote since (its line is pending: SeenLine.digest). A new token is then always written.
   * Others take their scan's.
   */
  readonly digests?: ReadonlyMap<string, string | null>;
  readonly sshOptions: readonly string[];
  readonly nowMs: number;
}

/** The lines to write on the machines (machine → line) in the set's file `file`. */
export interface SeenLines {
  readonly file: string;
  readonly lines: ReadonlyMap<string, string>;
}

/**
 * Gives the finding a new token: writes the controller's copy of the keeper's listing under it, and
 * returns each scanned machine's line (with its own listing's digest), to be written on the
 * machines; null when every machine already answered "same" under one token and no digest is new.
 * The copy is a cache: a state folder that cannot take it only costs the next run its speed.
 */
export async function buildSeenLines(ctx: RunContext, found: AlikeFinding): Promise<SeenLines | null> {
  const { config } = ctx;
  const { seen } = found;
  const scanned = config.machines.map((m, i) => ({ m, scan: seen.scans[i] })).filter((x) => x.scan?.ok);
  const tokens = new Set(scanned.map(({ scan }) => (scan?.ok && scan.output.unchanged ? scan.seen?.token : undefined)));
  if (found.digests === undefined && tokens.size === 1 && !tokens.has(undefined)) {
    // Every machine answered "same" under one token: their lines stand. The copy of that listing
    // follows the base where it moved since (an apply that wrote the base and nothing else).
    const cached = seen.cached;
    const moved = (a: BaseOrigin | undefined, b: BaseOrigin) => a === undefined || a.generation !== b.generation || a.rows !== b.rows || a.logPaths !== b.logPaths || a.logBytes !== b.logBytes;
    if (found.base && cached !== null && tokens.has(cached.token) && moved(cached.base, found.base)) await writeSeenListing(config.stateDir, { ...cached, base: found.base }, null).catch(() => undefined);
    return null;
  }
  const token = buildSyncId(found.nowMs);
  const keeperScan = scanned.find((x) => x.m.name === seen.keeper)?.scan;
  if (keeperScan?.ok) {
    const listing = keeperScan.output.unchanged ? null : (keeperScan.output.listing ?? null);
    const record = (bytes: number, digest: string): SeenListingRecord => ({
      format: 1,
      token,
      paths: [...ctx.targets],
      listingBytes: bytes,
      listingDigest: digest,
      ...(found.base ? { base: found.base } : {}),
    });
    const cached = seen.cached;
    const write =
      listing !== null ? writeSeenListing(config.stateDir, record(listing.length, keeperScan.digest), listing)
      : keeperScan.output.unchanged && cached !== null && keeperScan.seen?.token === cached.token ? writeSeenListing(config.stateDir, record(cached.listingBytes, cached.listingDigest), null)
      : Promise.resolve();
    await write.catch(() => undefined);
  }
  const lines = new Map<string, string>();
  for (const { m, scan } of scanned) {
    if (!scan?.ok) continue;
    const digest: string | null = found.digests?.has(m.name) ? (found.digests.get(m.name) ?? null) : scan.digest;
    lines.set(m.name, renderSeenLine({ digest, token, paths: found.paths, files: found.files }));
  }
  return { file: seen.file, lines };
}

/**
 * Records the finding: the copy (buildSeenLines), then each machine's line, one script per
 * machine, all at once. A machine that cannot take it only costs the next run its speed.
 */
export async function recordSeen(ctx: RunContext, found: AlikeFinding): Promise<void> {
  const seen = await buildSeenLines(ctx, found);
  if (seen === null) return;
  const { config } = ctx;
  const setDir = buildSetDir(config.setName);
  await Promise.all(
    config.machines.map(async (m) => {
      const line = seen.lines.get(m.name);
      if (line === undefined) return;
      const target = buildScriptTarget(m, ctx.self.name, found.sshOptions, { stallTimeout: config.stallTimeout });
      await runScript(target, buildWriteSeenScript(m.root, setDir, seen.file, line), () => undefined).catch(() => undefined);
    }),
  );
}
