// Where the launcher (src/launcher.ts) keeps V8's code cache of the bundled CLI, and its upkeep.
// One file per bundle text, node and command, in the private folder blat keeps for ssh sockets
// ($TMPDIR/blat-UID, 0700: no one else can plant bytecode there).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readyControlDir } from './transport/controlDir.js';

/** Commands that get a cache of their own (each calls its own functions); the rest share one. */
const COMMANDS = new Set(['plan', 'apply', 'journal', 'demo', 'show', 'machines', 'import']);

const CACHE_NAME = /^code-([0-9a-f]+)-[a-z]+\.v8$/;

/** The cache file for this bundle text, node and command line; null when there is no private folder. */
export async function findCodeCacheFile(source: string, argv: readonly string[], base?: string): Promise<string | null> {
  const dir = await readyControlDir(base).catch(() => null);
  if (dir === null) return null;
  // V8 checks a cache against the source's length only: the key is the whole text.
  const key = createHash('sha256').update(source).update(`\0${process.version}\0${process.arch}\0${process.execArgv.join(' ')}`).digest('hex').slice(0, 24);
  const command = argv.find((a) => COMMANDS.has(a)) ?? 'other';
  return join(dir, `code-${key}-${command}.v8`);
}

/** The cache in `file`; null when there is none (or it cannot be read). */
export function readCodeCache(file: string | null): Buffer | null {
  if (file === null) return null;
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

/**
 * Writes a cache (a rename: a reader never sees half of one) and removes those of other
 * bundles or nodes beside it (an upgrade's leftovers). Failures only mean no cache.
 */
export function writeCodeCache(file: string, data: Buffer): void {
  try {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, data, { mode: 0o600 });
    renameSync(temp, file);
    const key = CACHE_NAME.exec(basename(file))?.[1];
    for (const name of readdirSync(dirname(file))) {
      const other = CACHE_NAME.exec(name);
      if (other && other[1] !== key) rmSync(join(dirname(file), name), { force: true });
    }
  } catch {
    // No cache this time.
  }
}
