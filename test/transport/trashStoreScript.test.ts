import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFakeCommand } from '../helpers/fakeCommand.js';
import {
  buildTrashListScript,
  buildTrashPruneScript,
  buildTrashRestoreScript,
  parsePruneOutput,
  parseTrashList,
} from '../../src/transport/trashStoreScript.js';

const OLD = '2024-01-01T00-00-00-000Z';
const MID = '2024-05-01T12-00-00-000Z';
const NEW = '2024-06-01T08-30-00-500Z';
const HOSTILE = ['docs/new\nline', `docs/it's "q"`, 'docs/$(touch pwned)', 'docs/-rf', 'docs/sub dir/--x'];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'blat-trashstore-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const put = async (rel: string, content: string, mtime?: number) => {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), content);
  if (mtime !== undefined) await utimes(join(root, rel), mtime, mtime);
};
const run = (script: string): Buffer => execFileSync('/bin/sh', ['-s'], { input: script, cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });

describe('buildTrashListScript', () => {
  it('lists every kept file and symlink with its run, path, mtime and size, hostile names exactly', async () => {
    for (const [i, p] of HOSTILE.entries()) await put(`.blat-trash/${MID}/${p}`, `v${i}`, 1_700_000_000 + i);
    await mkdir(join(root, `.blat-trash/${OLD}/docs`), { recursive: true });
    await symlink('target', join(root, `.blat-trash/${OLD}/docs/link`));
    await put('docs/not-trash', 'x');
    const listed = parseTrashList(run(buildTrashListScript(root)));
    expect(listed.rootExists).toBe(true);
    expect(listed.complete).toBe(true);
    const rows = listed.kept.map((k) => `${k.run} ${k.path} ${k.type} ${k.size}`).sort();
    expect(rows).toEqual([...HOSTILE.map((p, i) => `${MID} ${p} file ${`v${i}`.length}`), `${OLD} docs/link symlink 6`].sort());
    expect(listed.kept.find((k) => k.path === HOSTILE[2])?.mtime).toBe(1_700_000_002);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });

  it('says so when there is no trash, or no root', () => {
    expect(parseTrashList(run(buildTrashListScript(root)))).toEqual({ rootExists: true, complete: true, kept: [] });
    expect(parseTrashList(run(buildTrashListScript(join(root, 'missing'))))).toEqual({ rootExists: false, complete: true, kept: [] });
  });

  it('knows a cut-off output', () => {
    expect(parseTrashList(Buffer.from(['root', `./.blat-trash/${MID}/docs/a`, 'f', '1', ''].join('\0'))).complete).toBe(false);
  });
});

describe('buildTrashPruneScript', () => {
  it('removes the runs older than the cutoff, and nothing that is not a run', async () => {
    await put(`.blat-trash/${OLD}/docs/a`, 'old');
    await put(`.blat-trash/${MID}/docs/a`, 'mid');
    await put(`.blat-trash/${NEW}/docs/a`, 'new');
    await put('.blat-trash/1999-notes/keep', 'not a run');
    await put('.blat-trash/0000', 'a file');
    const pruned = parsePruneOutput(run(buildTrashPruneScript(root, '2024-05-01T12-00-00-001Z')));
    expect(pruned.sort()).toEqual([OLD, MID]);
    expect((await readdir(join(root, '.blat-trash'))).sort()).toEqual(['0000', '1999-notes', NEW]);
  });

  it('does nothing without a trash', () => {
    expect(parsePruneOutput(run(buildTrashPruneScript(root, NEW)))).toEqual([]);
  });
});

describe('buildTrashRestoreScript', () => {
  it('puts a kept version back, what was there going to the trash first', async () => {
    for (const [i, p] of HOSTILE.entries()) {
      await put(`.blat-trash/${MID}/${p}`, `kept ${i}`);
      await put(p, `current ${i}`);
      expect(run(buildTrashRestoreScript(root, MID, p, NEW)).toString()).toBe('ok\0');
      expect(await readFile(join(root, p), 'utf8')).toBe(`kept ${i}`);
      expect(await readFile(join(root, '.blat-trash', NEW, p), 'utf8')).toBe(`current ${i}`);
      expect(existsSync(join(root, '.blat-trash', MID, p))).toBe(false);
    }
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });

  it('restores into a folder that is gone, and a symlink as a symlink', async () => {
    await mkdir(join(root, `.blat-trash/${MID}/docs/gone`), { recursive: true });
    await symlink('t', join(root, `.blat-trash/${MID}/docs/gone/link`));
    expect(run(buildTrashRestoreScript(root, MID, 'docs/gone/link', NEW)).toString()).toBe('ok\0');
    expect((await lstat(join(root, 'docs/gone/link'))).isSymbolicLink()).toBe(true);
  });

  it('restores by a rename where hard links fail (FAT), and never over a path written meanwhile', async () => {
    const runWith = (script: string) => execFileSync('/bin/sh', ['-s'], { input: script, env: process.env }).toString();
    await put(`.blat-trash/${MID}/docs/a`, 'kept');
    await put('docs/a', 'current');
    expect(await withFakeCommand('ln', 'exit 1', async () => runWith(buildTrashRestoreScript(root, MID, 'docs/a', NEW)))).toBe('ok\0');
    expect(await readFile(join(root, 'docs/a'), 'utf8')).toBe('kept');
    expect(await readFile(join(root, `.blat-trash/${NEW}/docs/a`), 'utf8')).toBe('current');

    await put(`.blat-trash/${MID}/docs/b`, 'kept b');
    await put('docs/b', 'current b');
    const raced = await withFakeCommand('ln', `printf 'written meanwhile' > "$3"; exit 1`, async () => runWith(buildTrashRestoreScript(root, MID, 'docs/b', NEW)));
    expect(raced).toBe('fail\0');
    expect(await readFile(join(root, 'docs/b'), 'utf8')).toBe('written meanwhile');
    expect(await readFile(join(root, `.blat-trash/${MID}/docs/b`), 'utf8')).toBe('kept b');
    expect(await readFile(join(root, `.blat-trash/${NEW}/docs/b`), 'utf8')).toBe('current b');
  });

  it('changes nothing when the version is not kept or a folder is in the way', async () => {
    await put('docs/a', 'current');
    expect(run(buildTrashRestoreScript(root, MID, 'docs/a', NEW)).toString()).toBe('missing\0');
    await put(`.blat-trash/${MID}/docs/d`, 'kept');
    await put('docs/d/inside', 'x');
    expect(run(buildTrashRestoreScript(root, MID, 'docs/d', NEW)).toString()).toBe('folder\0');
    expect(await readFile(join(root, 'docs/a'), 'utf8')).toBe('current');
    expect(await readFile(join(root, 'docs/d/inside'), 'utf8')).toBe('x');
    expect(existsSync(join(root, '.blat-trash', NEW))).toBe(false);
  });
});
