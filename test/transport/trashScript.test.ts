import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFakeCommand } from '../helpers/fakeCommand.js';
import { buildGiveBackScript, buildTrashScript, parseGiveBackOutput, parseTrashOutput } from '../../src/transport/trashScript.js';

const out = (...fields: string[]): Buffer => Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');

describe('parseTrashOutput', () => {
  it('reads NUL-separated status/path pairs, dropping the ./ prefix', () => {
    const result = parseTrashOutput(out('ok', './docs/a', 'gone', './docs/b', 'fail', './docs/sub'));
    expect([...result]).toEqual([
      ['docs/a', 'ok'],
      ['docs/b', 'gone'],
      ['docs/sub', 'fail'],
    ]);
  });

  it('keeps hostile names exactly: newlines, quotes, $(…), leading dashes, a ./ inside', () => {
    const names = ['docs/new\nline', `docs/it's "q"`, 'docs/$(touch x)', 'docs/-rf', 'docs/./x', 'docs/日本 語'];
    const result = parseTrashOutput(out(...names.flatMap((n) => ['ok', `./${n}`])));
    expect([...result.keys()]).toEqual(names);
  });

  it('reads nothing from no output, and ignores a cut-off last pair', () => {
    expect(parseTrashOutput(Buffer.alloc(0)).size).toBe(0);
    const cut = Buffer.concat([out('ok', './docs/a'), Buffer.from('ok\0./docs/b', 'utf8')]);
    expect([...parseTrashOutput(cut)]).toEqual([['docs/a', 'ok']]);
  });
});

describe('buildTrashScript run by /bin/sh', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'blat-trash-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const put = async (rel: string, content: string) => {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), content);
  };
  const run = (script: string): Buffer => execFileSync('/bin/sh', ['-s'], { input: script, cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });

  it('moves files (hostile names too) under .blat-trash/STAMP, removes emptied folders, reports each', async () => {
    // The script runs in the root: a $(touch …) that ran would leave `pwned` there.
    const hostile = ['docs/new\nline', `docs/it's "q"`, 'docs/$(touch pwned)', 'docs/`touch pwned`', 'docs/-rf', 'docs/sub/--x'];
    for (const [i, p] of hostile.entries()) await put(p, `content ${i}`);
    await put('docs/stay.txt', 'stays');
    await symlink('stay.txt', join(root, 'docs/link'));
    const items = [...hostile.map((path) => ({ path, isDir: false })), { path: 'docs/sub', isDir: true }, { path: 'docs/link', isDir: false }, { path: 'docs/never', isDir: false }];

    const status = parseTrashOutput(run(buildTrashScript(root, '2024-05-01T12-00-00-000Z', items)));

    expect(Object.fromEntries(status)).toEqual({
      ...Object.fromEntries(hostile.map((p) => [p, 'ok'])),
      'docs/sub': 'ok',
      'docs/link': 'ok',
      'docs/never': 'gone',
    });
    for (const [i, p] of hostile.entries()) {
      expect(existsSync(join(root, p))).toBe(false);
      expect(await readFile(join(root, '.blat-trash', '2024-05-01T12-00-00-000Z', p), 'utf8')).toBe(`content ${i}`);
    }
    expect((await lstat(join(root, '.blat-trash/2024-05-01T12-00-00-000Z/docs/link'))).isSymbolicLink()).toBe(true);
    expect(existsSync(join(root, 'docs/sub'))).toBe(false);
    expect((await readdir(join(root, 'docs'))).sort()).toEqual(['stay.txt']);
    expect((await readdir(root)).sort()).toEqual(['.blat-trash', 'docs']);
  });

  it('leaves a folder that still holds something and says it failed', async () => {
    await put('docs/sub/kept.txt', 'not planned for trash');
    const status = parseTrashOutput(run(buildTrashScript(root, 's', [{ path: 'docs/sub', isDir: true }])));
    expect([...status]).toEqual([['docs/sub', 'fail']]);
    expect(await readFile(join(root, 'docs/sub/kept.txt'), 'utf8')).toBe('not planned for trash');
  });

  it('prints nothing and exits 3 when the root is missing', () => {
    let code = 0;
    let stdout: Buffer = Buffer.alloc(0);
    try {
      run(buildTrashScript(join(root, 'missing'), 's', [{ path: 'docs/a', isDir: false }]));
    } catch (e) {
      code = (e as { status: number }).status;
      stdout = (e as { stdout: Buffer }).stdout;
    }
    expect(code).toBe(3);
    expect(parseTrashOutput(stdout).size).toBe(0);
  });
});

describe('buildGiveBackScript run by /bin/sh', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'blat-giveback-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const put = async (rel: string, content: string) => {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), content);
  };
  const run = (script: string): Buffer => execFileSync('/bin/sh', ['-s'], { input: script, cwd: tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });

  it('swaps the saved version back into place and the transferred one into the trash run, hostile names too', async () => {
    const hostile = ['docs/new\nline', `docs/it's "q"`, 'docs/$(touch pwned)', 'docs/-rf'];
    await mkdir(join(root, '.blat-tmp'));
    for (const [i, p] of hostile.entries()) {
      await put(p, `transferred ${i}`);
      await put(`.blat-trash/RUN/${p}`, `saved ${i}`);
    }
    const items = hostile.map((path, k) => ({ path, kept: `.blat-trash/RUN/${path}`, aside: `.blat-tmp/given-back-${k}` }));
    const status = parseGiveBackOutput(run(buildGiveBackScript(root, items)));
    expect(Object.fromEntries(status)).toEqual(Object.fromEntries(hostile.map((p) => [p, 'ok'])));
    for (const [i, p] of hostile.entries()) {
      expect(await readFile(join(root, p), 'utf8')).toBe(`saved ${i}`);
      expect(await readFile(join(root, '.blat-trash/RUN', p), 'utf8')).toBe(`transferred ${i}`);
    }
    expect(await readdir(join(root, '.blat-tmp'))).toEqual([]);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });

  it('leaves a path written once more meanwhile alone: that stays, the save stays kept, the transferred copy (its source has it) goes', async () => {
    await mkdir(join(root, '.blat-tmp'));
    await put('docs/a', 'transferred');
    await put('.blat-trash/RUN/docs/a', 'saved during the transfer');
    // An ln that finds the path written again (by the user, between the script's two moves).
    const status = await withFakeCommand('ln', `printf 'written again' > "$3"; exit 1`, async () =>
      parseGiveBackOutput(execFileSync('/bin/sh', ['-s'], { input: buildGiveBackScript(root, [{ path: 'docs/a', kept: '.blat-trash/RUN/docs/a', aside: '.blat-tmp/g0' }]), env: process.env })),
    );
    expect([...status]).toEqual([['docs/a', 'again']]);
    expect(await readFile(join(root, 'docs/a'), 'utf8')).toBe('written again');
    expect(await readFile(join(root, '.blat-trash/RUN/docs/a'), 'utf8')).toBe('saved during the transfer');
    expect(await readdir(join(root, '.blat-tmp'))).toEqual([]);
  });

  it('changes nothing when the kept version is not a plain file or the temp folder is missing', async () => {
    await put('docs/a', 'transferred');
    await mkdir(join(root, '.blat-trash/RUN/docs'), { recursive: true });
    await symlink('elsewhere', join(root, '.blat-trash/RUN/docs/a'));
    await put('docs/b', 'transferred b');
    await put('.blat-trash/RUN/docs/b', 'saved b');
    const items = [
      { path: 'docs/a', kept: '.blat-trash/RUN/docs/a', aside: '.blat-tmp/x0' },
      { path: 'docs/b', kept: '.blat-trash/RUN/docs/b', aside: '.blat-tmp/x1' },
    ];
    const status = parseGiveBackOutput(run(buildGiveBackScript(root, items)));
    expect([...status]).toEqual([['docs/a', 'fail'], ['docs/b', 'fail']]);
    expect(await readFile(join(root, 'docs/a'), 'utf8')).toBe('transferred');
    expect((await lstat(join(root, '.blat-trash/RUN/docs/a'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(root, 'docs/b'), 'utf8')).toBe('transferred b');
    expect(await readFile(join(root, '.blat-trash/RUN/docs/b'), 'utf8')).toBe('saved b');
  });
});
