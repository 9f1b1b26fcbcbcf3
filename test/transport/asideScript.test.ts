import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAsideScript, parseAsideOutput } from '../../src/transport/asideScript.js';

describe('buildAsideScript run by /bin/sh', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'blat-aside-'));
    await mkdir(join(root, 'docs'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const run = (items: { path: string; as: string }[]) =>
    parseAsideOutput(execFileSync('/bin/sh', ['-s'], { input: buildAsideScript(root, '.blat-tmp', items.map((it, k) => ({ ...it, temp: `.blat-tmp/aside-t-${k}` }))) }));

  it('copies content, mode and mtime to the name, hostile names included; the original and the temp folder left clean', async () => {
    const names = ['docs/new\nline.txt', `docs/it's "q".txt`, 'docs/$(touch pwned).txt', 'docs/-rf'];
    for (const [k, n] of names.entries()) {
      await writeFile(join(root, n), `v${k}\n`, { mode: 0o640 });
      await utimes(join(root, n), 1_700_000_000, 1_700_000_000.25);
    }
    const result = run(names.map((n) => ({ path: n, as: `${n}.conflict-m1-20231114-221320` })));
    expect([...result.values()]).toEqual(['ok', 'ok', 'ok', 'ok']);
    for (const [k, n] of names.entries()) {
      const copy = join(root, `${n}.conflict-m1-20231114-221320`);
      expect(await readFile(copy, 'utf8')).toBe(`v${k}\n`);
      const [a, b] = [await stat(join(root, n), { bigint: true }), await stat(copy, { bigint: true })];
      expect(b.mtimeNs).toBe(a.mtimeNs);
      expect(b.mode & 0o777n).toBe(0o640n);
      expect(b.ino).not.toBe(a.ino);
    }
    expect(await readdir(join(root, '.blat-tmp'))).toEqual([]);
    expect(await readdir(root)).not.toContain('pwned');
  });

  it('never writes over a name that is there, and does nothing for a path that is no longer a file', async () => {
    await writeFile(join(root, 'docs/a.txt'), 'mine\n');
    await writeFile(join(root, 'docs/a.conflict-m1-20231114-221320.txt'), 'someone else’s\n');
    await mkdir(join(root, 'docs/dir'));
    const result = run([
      { path: 'docs/a.txt', as: 'docs/a.conflict-m1-20231114-221320.txt' },
      { path: 'docs/gone.txt', as: 'docs/gone.conflict-m1-20231114-221320.txt' },
      { path: 'docs/dir', as: 'docs/dir.conflict-m1-20231114-221320' },
    ]);
    expect([...result]).toEqual([
      ['docs/a.conflict-m1-20231114-221320.txt', 'exists'],
      ['docs/gone.conflict-m1-20231114-221320.txt', 'gone'],
      ['docs/dir.conflict-m1-20231114-221320', 'gone'],
    ]);
    expect(await readFile(join(root, 'docs/a.conflict-m1-20231114-221320.txt'), 'utf8')).toBe('someone else’s\n');
    expect((await readdir(join(root, 'docs'))).sort()).toEqual(['a.conflict-m1-20231114-221320.txt', 'a.txt', 'dir']);
  });
});
