import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanParser } from '../../src/snapshot/parseScan.js';
import { buildPruneExpression, buildScanScript } from '../../src/transport/scanScript.js';

// The scan script run for real by /bin/sh, in both of its forms: GNU find -printf
// (Linux) and find -print0 | perl (the form used on macOS), on hostile names.

let dir: string;
let root: string;
const pwned = `blat-pwned-${process.pid}`;
const hostile = ['a b', "it's", 'say "hi"', `$(touch ${pwned})`, `;touch ${pwned}`, '`touch x`', 'new\nline', '-rf', '--help', 'tab\there'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blat-scan-'));
  root = join(dir, "root with ' quote");
  mkdirSync(join(root, 'docs/sub'), { recursive: true });
  for (const name of hostile) writeFileSync(join(root, 'docs', name), name);
  writeFileSync(join(root, 'docs/sub/x.o'), 'object');
  writeFileSync(join(root, 'docs/sub/keep.c'), 'source');
  mkdirSync(join(root, 'docs/.git'));
  writeFileSync(join(root, 'docs/.git/HEAD'), 'ref');
  symlinkSync('../nowhere at all', join(root, 'docs/link'));
  execFileSync('touch', ['-h', '-d', '@1700000000.123456789', join(root, 'docs/a b')]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string) {
  const out = execFileSync('/bin/sh', ['-s'], { input: script });
  const parser = new ScanParser();
  parser.push(out);
  return parser.finish();
}

describe.each([
  ['linux (GNU find -printf)', 'linux' as const],
  ['darwin form (find -print0 | perl)', 'darwin' as const],
  ['detected', undefined],
])('buildScanScript, %s', (_label, os) => {
  it('lists every entry under the paths, hostile names exactly, links not followed, excludes pruned, nothing executed', () => {
    const out = run(buildScanScript({ root, paths: ['docs', 'missing', '-x'], mode: 'tree', exclude: ['*.o', '.git/'], os }));
    expect(out.complete).toBe(true);
    const names = [...out.entries.keys()].sort();
    expect(names).toEqual(
      ['docs', 'docs/link', 'docs/sub', 'docs/sub/keep.c', ...hostile.map((h) => `docs/${h}`)].sort(),
    );
    expect(out.entries.get('docs/link')).toMatchObject({ type: 'symlink', target: '../nowhere at all' });
    expect(out.entries.get('docs/a b')?.mtime).toBeCloseTo(1700000000.123456789, 6);
    expect(out.entries.get('docs/new\nline')).toMatchObject({ type: 'file', size: 'new\nline'.length });
    for (const where of [root, join(root, 'docs'), dir, process.cwd()]) expect(existsSync(join(where, pwned))).toBe(false);
    expect(Math.abs(out.clock - Date.now() / 1000)).toBeLessThan(60);
  });

  it('re-stats a list of paths (missing ones are simply absent)', () => {
    const out = run(buildScanScript({ root, paths: ['docs/a b', 'docs/nope', "docs/it's", 'docs/-rf', 'docs/sub'], mode: 'stat', exclude: [], os }));
    expect([...out.entries.keys()].sort()).toEqual(['docs/-rf', 'docs/a b', "docs/it's", 'docs/sub']);
    expect(out.entries.get('docs/sub')?.type).toBe('dir');
  });

  it('says when the root is missing', () => {
    const out = run(buildScanScript({ root: join(dir, 'no such root'), paths: ['docs'], mode: 'tree', exclude: [], os }));
    expect(out.complete).toBe(true);
    expect(out.rootExists).toBe(false);
  });
});

describe('buildPruneExpression', () => {
  it('is empty without patterns', () => expect(buildPruneExpression([])).toBe(''));
  it('maps basename, directory-only and anchored patterns', () => {
    expect(buildPruneExpression(['*.o', '.git/', 'build/cache', '/top'])).toBe(
      "\\( -name '*.o' -o \\( -type d -a -name '.git' \\) -o -path './build/cache' -o -path './top' \\) -prune -o",
    );
  });
});

describe('buildScanScript with many start points', () => {
  it('walks 20,000 listed paths (a large resume) and finds each, missing ones simply absent', () => {
    const many = join(dir, 'many');
    mkdirSync(join(many, 'd'), { recursive: true });
    const paths: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const name = `d/f ${i}'`;
      if (i % 4 !== 0) writeFileSync(join(many, name), '');
      paths.push(name);
    }
    const out = run(buildScanScript({ root: many, paths, mode: 'tree', exclude: [], os: 'linux' }));
    expect(out.complete).toBe(true);
    expect(out.entries.size).toBe(15_000);
    expect(out.entries.has("d/f 1'")).toBe(true);
    expect(out.entries.has("d/f 4'")).toBe(false);
  });
});
