import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRsyncExcludeRules, checkExcludePattern, compileExcludes, parseExcludePattern } from '../../src/config/excludes.js';
import { ScanParser } from '../../src/snapshot/parseScan.js';
import { buildScanScript } from '../../src/transport/scanScript.js';

// Exclude patterns against rsync itself: for each pattern, what real rsync sends of a sync path
// (the sync path as the transfer's root) must be what the matcher keeps, what the scan's find
// lists, and what rsync sends of the same paths from the machine's root with the rules blat
// gives a transfer that starts there.

const SYNC_PATHS = ['docs', 'proj/code'];
/** Files under each sync path (folders are made for them). */
const FILES = [
  'a.o', 'sub/b.o', 'sub/c.txt', 'sub/d.txt.bak',
  'build/cache/f', 'proj/build/cache/f', 'proj/build/cachex/f', 'xbuild/cache/f', 'build/x/cache/f',
  'foo', 'bar/foo/g', 'deep/a/b/c/bar', 'deep/foo/x/bar', 'deep/foo/bar', 'deep/foo/baz',
  '.git/HEAD', 'we ird[1].txt', 'back\\slash', 'q?mark', 'docs/x', 'code/y', 'B1', 'b2', '-dash',
];

const PATTERNS = [
  '*.o', 'build/cache', '/build', '/build/', 'foo/', 'foo', 'foo/*/bar', '/deep/**/bar', 'deep/**/bar',
  '**/cache', 'c?che', 'cache*', '[bc]uild', '[!b]uild', 'sub/*.txt', '*/cache', 'deep/**', '/deep/foo/***',
  'build/*/cache', '*.txt', 'we ird[[]1].txt', 'back\\slash', 'q\\?mark', '/sub/', 'a/b', 'code/y', 'docs/x',
  '[[:upper:]]1', '[a-c]2', '**/foo/**', 'x*/cache/', '/proj/build/cache', '-dash', '.git/',
];

let dir: string;
let root: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blat-excludes-'));
  root = join(dir, 'root');
  for (const s of SYNC_PATHS) {
    for (const f of FILES) {
      mkdirSync(join(root, s, dirname(f)), { recursive: true });
      writeFileSync(join(root, s, f), f);
    }
  }
  mkdirSync(join(dir, 'empty'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every path under the sync path `s` (root-relative), with whether it is a folder. */
async function treeOf(s: string): Promise<Map<string, boolean>> {
  const out = (await run('find', ['.', '-mindepth', '1', '-printf', '%P\\0%y\\0'], { cwd: join(root, s) })).toString();
  const parts = out.split('\0');
  const tree = new Map<string, boolean>();
  for (let i = 0; i + 1 < parts.length; i += 2) tree.set(`${s}/${parts[i]}`, parts[i + 1] === 'd');
  return tree;
}

/** What rsync -a sends, dry run, as root-relative paths (folders without their slash). */
async function rsyncSends(args: readonly string[], prefix: string): Promise<string[]> {
  const out = (await run('rsync', ['-a', '-n', '--out-format=%n', ...args, join(dir, 'empty') + '/'])).toString();
  return out
    .split('\n')
    .map((l) => l.replace(/\/$/, ''))
    .filter((l) => l !== '' && l !== '.')
    .map((l) => prefix + l)
    .sort();
}

/** A program's stdout (no shell), with `input` on its stdin: the patterns run side by side. */
function run(file: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { cwd: opts.cwd, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin?.on('error', () => undefined); // a program that reads no input may be gone first
    child.stdin?.end(opts.input);
  });
}

describe('exclude patterns mean what rsync means', () => {
  it.concurrent.for(PATTERNS)('%s', async (pattern, { expect }) => {
    const matcher = compileExcludes([pattern], SYNC_PATHS);
    for (const s of SYNC_PATHS) {
      const byRsync = await rsyncSends([`--exclude=${pattern}`, `${join(root, s)}/`], `${s}/`);
      const tree = await treeOf(s);
      const kept = [...tree].filter(([p, isDir]) => !matcher.excludes(p, isDir)).map(([p]) => p).sort();
      expect(kept, `matcher, ${s}`).toEqual(byRsync);
      // The scan's find prunes the same.
      for (const os of ['linux', 'darwin'] as const) {
        if (os === 'darwin' && !parseExcludePattern(pattern).nameOnly) continue; // BSD find's -E is not GNU find's
        const parser = new ScanParser();
        parser.push(await run('/bin/sh', ['-s'], { input: buildScanScript({ root, paths: [s], mode: 'tree', exclude: [pattern], syncPaths: SYNC_PATHS, os }) }));
        const listed = [...parser.finish().entries.keys()].filter((p) => p !== s).sort();
        expect(listed, `find (${os}), ${s}`).toEqual(byRsync);
      }
    }
    // A transfer from the root (folders sent whole by one list) with the rules blat gives it.
    const rules = buildRsyncExcludeRules([pattern], SYNC_PATHS).map((r) => `--exclude=${r}`);
    const fromRoot = (await run('rsync', ['-a', '-r', '-n', '--out-format=%n', '--from0', '--files-from=-', ...rules, `${root}/`, join(dir, 'empty') + '/'], { input: SYNC_PATHS.join('\0') + '\0' }))
      .toString()
      .split('\n')
      .map((l) => l.replace(/\/$/, ''))
      .filter((l) => l !== '' && l !== '.' && !SYNC_PATHS.includes(l) && l !== 'proj')
      .sort();
    const expected = (await Promise.all(SYNC_PATHS.map((s) => rsyncSends([`--exclude=${pattern}`, `${join(root, s)}/`], `${s}/`)))).flat().sort();
    expect(fromRoot, 'rules from the root').toEqual(expected);
  });

  it('README: build/cache excludes docs/proj/build/cache', () => {
    expect(compileExcludes(['build/cache'], ['docs']).excludes('docs/proj/build/cache', true)).toBe(true);
    expect(compileExcludes(['build/cache'], ['docs']).excludes('docs/proj/build/cache/deep/file', false)).toBe(true);
    expect(compileExcludes(['build/cache'], ['docs']).excludes('docs/proj/build/cachex', true)).toBe(false);
  });

  it('a sync path itself is never matched from inside', () => {
    expect(compileExcludes(['docs'], ['docs']).excludes('docs', true)).toBe(false);
  });
});

describe('checkExcludePattern', () => {
  it.each([
    ['/', 'would exclude everything'],
    ['/*', 'would exclude everything under every sync path'],
    ['/**', 'would exclude everything under every sync path'],
    ['*', 'matches the sync path "docs"'],
    ['**', 'matches the sync path "docs"'],
    ['docs', 'matches the sync path "docs"'],
    ['docs/', 'matches the sync path "docs"'],
    ['proj', 'matches the sync path "proj/code" (its folder "proj")'],
    ['proj/code', 'matches the sync path "proj/code"'],
    ['c*e', 'matches the sync path "proj/code"'],
    ['[z-a', 'a character class blat cannot read'],
    ['[.-0]x', 'a character class blat cannot read'],
  ])('%s is refused', (pattern, words) => {
    expect(checkExcludePattern(pattern, SYNC_PATHS)).toContain(words);
  });

  it.each(['*.o', '/docs', 'build/cache', '/code', 'x/docs', '.git/', '**/cache'])('%s is fine', (pattern) => {
    expect(checkExcludePattern(pattern, SYNC_PATHS)).toBeUndefined();
  });
});
