// End to end: resolving conflicts and deletions one path at a time (--prefer a machine that
// deleted it, --keep-both, blat restore, path arguments no machine holds).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { useDocsMachines, withoutMuxNoise } from './support.js';

const machines = useDocsMachines(['m1', 'm2']);
const ALL = ['here', 'm1', 'm2'];

/** The contents kept in a machine's trash for `path`, whatever the run. */
async function keptVersions(box: Sandbox, machine: string, path: string): Promise<string[]> {
  const trash = join(box.root(machine), '.blat-trash');
  const found: string[] = [];
  for (const d of await readdir(trash, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!d.isFile()) continue;
    const full = join(d.parentPath, d.name);
    if (full.slice(trash.length + 1).replace(/^[^/]+\//, '') === path) found.push(await readFile(full, 'utf8'));
  }
  return found.sort();
}

const apply = (box: Sandbox, ...args: string[]) => runBlat(['apply', '--auto-approve', ...args], { cwd: box.dir, timeoutMs: 60_000 });

/** Every machine holds `content` at each path, then one apply records the base. */
async function syncAll(box: Sandbox, paths: readonly string[], content = 'synced\n'): Promise<void> {
  for (const m of ALL) for (const p of paths) await box.write(m, p, content, '1700000000');
  const r = await apply(box);
  expect(r.code, r.stderr).toBe(0);
}

describe('--prefer MACHINE where MACHINE deleted the path', () => {
  it('the deletion wins: every other copy goes to its machine’s trash (under the mass-deletion guard)', async () => {
    const box = await machines.sandbox();
    try {
      await syncAll(box, ['docs/a.txt', 'docs/b.txt', 'docs/c.txt']);
      await box.remove('m1', 'docs/a.txt');
      await box.write('m2', 'docs/a.txt', 'edit on m2\n', '1700000500');
      const plan = await runBlat(['plan'], { cwd: box.dir });
      expect(plan.stdout).toMatch(/Conflicts \(1\)/);
      const r = await apply(box, '--prefer', 'm1');
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ALL) expect(await box.exists(m, 'docs/a.txt'), m).toBe(false);
      expect(await keptVersions(box, 'm2', 'docs/a.txt')).toEqual(['edit on m2\n']);
      expect(await keptVersions(box, 'here', 'docs/a.txt')).toEqual(['synced\n']);
      const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(again.code, again.stdout).toBe(0);
    } finally {
      await box.cleanup();
    }
  });
});
