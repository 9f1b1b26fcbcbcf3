// Recording the in-sync memo (state/inSyncMemo.ts) after a scan that found every machine alike.
import { writeInSyncMemo, type InSyncMemo } from '../state/inSyncMemo.js';
import type { MachineScans } from '../snapshot/scanSnapshot.js';
import type { RunContext } from '../commands/context.js';

/** Records the in-sync memo for these scans (`inSync` paths alike everywhere), unless `memo` (the one in place, null if none or its listing is lost) already says the same. */
export async function recordInSync(ctx: RunContext, memo: InSyncMemo | null, scans: MachineScans, inSync: number): Promise<void> {
  const machines: Record<string, string> = {};
  let listing: Buffer | null = null;
  let selfDigest = '';
  ctx.config.machines.forEach((m, i) => {
    const scan = scans[i];
    if (!scan?.ok) return;
    machines[m.name] = scan.digest;
    if (m.name === ctx.self.name) {
      selfDigest = scan.digest;
      listing = scan.output.listing ?? null;
    }
  });
  if (memo && Object.entries(machines).every(([name, d]) => memo.machines[name] === d) && Object.keys(memo.machines).length === Object.keys(machines).length) return;
  const keepListing = memo !== null && memo.machines[ctx.self.name] === selfDigest;
  const bytes = keepListing ? memo.listingBytes : (listing as Buffer | null)?.length;
  if (bytes === undefined) return; // self answered "same" to another memo: nothing to record from
  // A cache: a state directory that cannot take it only costs the next plan its speed.
  await writeInSyncMemo(
    ctx.config.stateDir,
    { format: 1, configDigest: ctx.config.digest, self: ctx.self.name, paths: [...ctx.targets], machines, inSync, listingBytes: bytes },
    keepListing ? null : listing,
  ).catch(() => undefined);
}
