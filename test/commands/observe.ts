// Observing the machines from outside: every tree with file contents, and stray files a shell
// injection would leave behind.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from '../helpers/machines.js';

/** Each machine's tree (path, type, size, mtime, link target) with a sha256 of every file's content. */
export async function readAllTrees(box: Sandbox, machines: readonly string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const m of machines) {
    const rows = await box.listTree(m);
    out[m] = await Promise.all(
      rows.map(async (row) =>
        row.type === 'file' ? { ...row, sha256: createHash('sha256').update(await readFile(join(box.root(m), row.path))).digest('hex') } : row,
      ),
    );
  }
  return out;
}

/**
 * Paths (absolute) under `dir`, searched to `depth` levels, whose last segment matches `name`.
 * Unreadable or vanished folders are skipped.
 */
export async function findNamed(dir: string, name: RegExp, depth = 8): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string, level: number): Promise<void> => {
    const items = await readdir(at, { withFileTypes: true }).catch(() => []);
    for (const item of items) {
      const path = join(at, item.name);
      if (name.test(item.name)) found.push(path);
      if (item.isDirectory() && level < depth) await walk(path, level + 1);
    }
  };
  await walk(dir, 1);
  return found.sort();
}
