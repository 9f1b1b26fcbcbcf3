import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFakeCommand } from '../helpers/fakeCommand.js';
import { buildMoveHashScript, buildMoveScript, parseMoveHashOutput, parseMoveOutput, type MoveItem } from '../../src/transport/moveScript.js';

describe('buildMoveScript run by /bin/sh', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'blat-move-'));
    await mkdir(join(root, 'docs'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const run = (items: MoveItem[]) => parseMoveOutput(execFileSync('/bin/sh', ['-s'], { input: buildMoveScript(root, items) }));

  it('moves files, folders and symlinks with hostile names, keeping their mtimes', async () => {
    const names = ['docs/new\nline.txt', `docs/it's "q".txt`, 'docs/$(touch pwned).txt', 'docs/-rf'];
    for (const [k, n] of names.entries()) await writeFile(join(root, n), `v${k}\n`);
    await mkdir(join(root, 'docs/album $(x)'));
    await writeFile(join(root, 'docs/album $(x)/a.jpg'), 'a');
    await symlink('-rf', join(root, 'docs/link'));
    const before = await stat(join(root, names[0]), { bigint: true });
    const items = [...names.map((n) => ({ was: n, path: `${n}.moved` })), { was: 'docs/album $(x)', path: 'docs/-album' }, { was: 'docs/link', path: 'docs/link2' }];
    const result = run(items);
    expect(items.map((i) => result.get(i.path))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    for (const [k, n] of names.entries()) expect(await readFile(join(root, `${n}.moved`), 'utf8')).toBe(`v${k}\n`);
    expect((await stat(join(root, `${names[0]}.moved`), { bigint: true })).mtimeNs).toBe(before.mtimeNs);
    expect(await readFile(join(root, 'docs/-album/a.jpg'), 'utf8')).toBe('a');
    expect(await readlink(join(root, 'docs/link2'))).toBe('-rf');
    expect((await readdir(join(root, 'docs'))).sort()).toEqual([...names.map((n) => `${n.slice(5)}.moved`), '-album', 'link2'].sort());
    expect(await readdir(root)).not.toContain('pwned');
  });

  it('a folder that appears at the new name just before the rename is not moved into (mv -T)', async () => {
    await mkdir(join(root, 'docs/album'));
    await writeFile(join(root, 'docs/album/a.jpg'), 'a');
    // mv itself makes the new name a folder first: the race between the script's check and the rename.
    const real = execFileSync('/bin/sh', ['-c', 'command -v mv']).toString().trim();
    const result = await withFakeCommand('mv', `for a; do last=$a; done; case "$1" in --help) exec ${real} --help;; esac; mkdir -p "$last"; exec ${real} "$@"`, async () =>
      run([{ was: 'docs/album', path: 'docs/pictures' }]),
    );
    expect(result.get('docs/pictures')).toBe('fail');
    expect(await readFile(join(root, 'docs/album/a.jpg'), 'utf8')).toBe('a');
    expect(await readdir(join(root, 'docs/pictures'))).toEqual([]);
  });

  it('never moves over anything at the new path (file, folder or symlink), nor what is gone or has no folder', async () => {
    await writeFile(join(root, 'docs/a'), 'a');
    await writeFile(join(root, 'docs/b'), 'b');
    await mkdir(join(root, 'docs/d1'));
    await mkdir(join(root, 'docs/d2'));
    await writeFile(join(root, 'docs/c'), 'c');
    await symlink('nowhere', join(root, 'docs/dangling'));
    const result = run([
      { was: 'docs/a', path: 'docs/b' },
      { was: 'docs/d1', path: 'docs/d2' },
      { was: 'docs/c', path: 'docs/dangling' },
      { was: 'docs/gone', path: 'docs/new' },
      { was: 'docs/c', path: 'docs/no/such/folder' },
    ]);
    expect([...result]).toEqual([
      ['docs/b', 'exists'],
      ['docs/d2', 'exists'],
      ['docs/dangling', 'exists'],
      ['docs/new', 'gone'],
      ['docs/no/such/folder', 'noparent'],
    ]);
    expect(await readFile(join(root, 'docs/a'), 'utf8')).toBe('a');
    expect(await readFile(join(root, 'docs/b'), 'utf8')).toBe('b');
    expect(await readdir(join(root, 'docs/d2'))).toEqual([]);
    expect(await readlink(join(root, 'docs/dangling'))).toBe('nowhere');
    expect(await readFile(join(root, 'docs/c'), 'utf8')).toBe('c');
  });

  it('moves a file where hard links cannot be made (FAT, exFAT: ln fails), still never over anything', async () => {
    await writeFile(join(root, 'docs/a'), 'a');
    await writeFile(join(root, 'docs/c'), 'c');
    await writeFile(join(root, 'docs/taken'), 't');
    const result = await withFakeCommand('ln', 'exit 1', async () =>
      parseMoveOutput(execFileSync('/bin/sh', ['-s'], { input: buildMoveScript(root, [{ was: 'docs/a', path: 'docs/b' }, { was: 'docs/c', path: 'docs/taken' }]) })),
    );
    expect([...result]).toEqual([['docs/b', 'ok'], ['docs/taken', 'exists']]);
    expect(await readFile(join(root, 'docs/b'), 'utf8')).toBe('a');
    expect(await readFile(join(root, 'docs/taken'), 'utf8')).toBe('t');
    expect((await readdir(join(root, 'docs'))).sort()).toEqual(['b', 'c', 'taken']);
  });

  it('hashes the files over 1 MiB at or under the paths, and only those', async () => {
    await mkdir(join(root, 'docs/album'));
    await writeFile(join(root, 'docs/album/small $(x)'), 'small');
    await writeFile(join(root, 'docs/album/big\nname'), 'x');
    await truncate(join(root, 'docs/album/big\nname'), 2 * 1024 * 1024);
    await writeFile(join(root, 'docs/big'), 'y');
    await truncate(join(root, 'docs/big'), 1024 * 1024 + 1);
    const sums = parseMoveHashOutput(execFileSync('/bin/sh', ['-s'], { input: buildMoveHashScript(root, ['docs/album', 'docs/big']) }));
    const sha = async (p: string) => createHash('sha256').update(await readFile(join(root, p))).digest('hex');
    expect(sums).toEqual(new Map([['docs/album/big\nname', await sha('docs/album/big\nname')], ['docs/big', await sha('docs/big')]]));
  });
});
