// rsync sending folders whole never takes blat's own folders along (a state folder inside a sync path).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOwnExcludes, runRsync } from '../../src/transport/rsync.js';

const dir = mkdtempSync(join(tmpdir(), 'blat-rsync-own-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A root holding docs/new/{f, .state/journal, x*y/.state/base} and docs/other/.state/keep (a user's folder of that name). */
function makeRoot(): string {
  const root = mkdtempSync(join(dir, 'root-'));
  for (const [path, text] of [
    ['docs/new/f', 'user'],
    ['docs/new/.state/journal', 'blat'],
    ['docs/new/x*y/.state/base', 'blat'],
    ['docs/new/x*y/kept', 'user'],
    ['docs/other/.state/keep', 'user'],
  ]) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Every file under `root`, relative. */
function listFiles(root: string, rel = ''): string[] {
  return readdirSync(join(root, rel), { withFileTypes: true }).flatMap((e) => {
    const path = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(root, path) : [path];
  });
}

const own = ['.blat-tmp', 'docs/new/.state', 'docs/new/x*y/.state'];

describe('buildOwnExcludes', () => {
  it('anchors each at the start of the transfer, escaping wildcards', () => {
    expect(buildOwnExcludes(own)).toEqual(['--exclude=/.blat-tmp', '--exclude=/docs/new/.state', '--exclude=/docs/new/x\\*y/.state']);
    expect(buildOwnExcludes(own, 'docs/new')).toEqual(['--exclude=/.state', '--exclude=/x\\*y/.state']);
    expect(buildOwnExcludes(own, 'docs/other')).toEqual([]);
  });
});

describe.each([
  ['a list of folders', undefined],
  ['one folder', 'docs/new'],
])('runRsync whole, %s', (_label, folder) => {
  it('sends the folder but none of blat\'s own folders inside it', async () => {
    const root = makeRoot();
    const staging = mkdtempSync(join(dir, 'staging-'));
    const result = await runRsync({
      from: { kind: 'local', root },
      to: { kind: 'local', root: staging },
      paths: ['docs/new', 'docs/other'],
      sshOptions: [],
      update: false,
      whole: { exclude: [], folder, own },
    });
    expect(result).toEqual({ ok: true });
    const sent = listFiles(staging).sort();
    expect(sent).toEqual(folder === undefined ? ['docs/new/f', 'docs/new/x*y/kept', 'docs/other/.state/keep'] : ['f', 'x*y/kept']);
  });
});
