// Planting a machine's seen line (src/state/seenLine.ts) for scan-script tests.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSeenFileName, renderSeenLine } from '../../src/state/seenLine.js';

/** The set folder the tests' scans read their seen line from. */
export const SEEN_SET_DIR = '.blat/sets/set-test';

/**
 * Writes, under `root`, the seen line naming `digest` for a scan of `paths` (none: removes it),
 * `alike` paths alike everywhere, and returns the scan script options that read it (`base` and `seen`).
 */
export function plantSeen(root: string, paths: readonly string[], digest: string | undefined, token = 'tok-1', alike = 3): { base: { dir: string }; seen: string } {
  const file = buildSeenFileName(paths);
  const dir = join(root, ...SEEN_SET_DIR.split('/'));
  rmSync(join(dir, file), { force: true });
  if (digest !== undefined) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), renderSeenLine({ digest, token, paths: alike, files: 2 }));
  }
  return { base: { dir: SEEN_SET_DIR }, seen: file };
}
