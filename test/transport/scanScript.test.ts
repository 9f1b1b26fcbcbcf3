import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanParser } from '../../src/snapshot/parseScan.js';
import { buildPrepareLines, buildPruneExpression, buildScanScript, FAST_DIGEST_PATHS } from '../../src/transport/scanScript.js';
import { plantSeen } from '../helpers/seen.js';

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
  // find's complaints about the missing paths stay out of the test output (a failure shows them).
  const out = execFileSync('/bin/sh', ['-s'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] });
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
    expect(out.uname).toBe(execFileSync('uname', ['-s'], { encoding: 'utf8' }).trim());
  });

  it('with checksum, gives the sha256 of every file (excludes pruned, hostile names exactly), nothing for folders and links', () => {
    const out = run(buildScanScript({ root, paths: ['docs', 'missing'], mode: 'tree', exclude: ['*.o', '.git/'], os, checksum: true }));
    expect(out.complete).toBe(true);
    const files = [...out.entries].filter(([, e]) => e.type === 'file').map(([p]) => p).sort();
    expect([...(out.sums?.keys() ?? [])].sort()).toEqual(files);
    for (const p of files) expect(out.sums?.get(p), p).toBe(createHash('sha256').update(readFileSync(join(root, p))).digest('hex'));
    // Without it, no sums.
    expect(run(buildScanScript({ root, paths: ['docs'], mode: 'tree', exclude: [], os })).sums).toBeUndefined();
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
  it('maps slash-free patterns to -name, the others to one -regex from each sync path (find\'s -path would let "*" cross "/")', () => {
    expect(buildPruneExpression(['*.o', '.git/', 'build/cache', '/top', 'a/*/b/'], [], ['docs', 'x.y'])).toBe(
      "\\( -name '*.o' -o \\( -type d -a -name '.git' \\) -o -regextype posix-extended -regex '\\./(docs|x\\.y)/((.*/)?build/cache|top)'" +
        " -o \\( -type d -a -regextype posix-extended -regex '\\./(docs|x\\.y)/((.*/)?a/[^/]*/b)' \\) \\) -prune -o",
    );
    expect(buildPruneExpression([], [])).toBe('');
  });
});

describe('buildScanScript with many start points', () => {
  it('walks 20,000 listed paths (a large resume) and finds each, missing ones simply absent', () => {
    const many = join(dir, 'many');
    mkdirSync(join(many, 'd'), { recursive: true });
    // The 15,000 that exist are hard links to one empty file: a new file each took 2-3 s on this disk.
    const first = join(many, 'first');
    writeFileSync(first, '');
    const paths: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const name = `d/f ${i}'`;
      if (i % 4 !== 0) linkSync(first, join(many, name));
      paths.push(name);
    }
    const out = run(buildScanScript({ root: many, paths, mode: 'tree', exclude: [], os: 'linux' }));
    expect(out.complete).toBe(true);
    expect(out.entries.size).toBe(15_000);
    expect(out.entries.has("d/f 1'")).toBe(true);
    expect(out.entries.has("d/f 4'")).toBe(false);
  });
});

// ---- The seen line: a tree scan answers "same" while its listing keeps the digest the machine's seen line names.

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Runs a script with extra environment variables, keeping the listing's bytes. */
function runWith(script: string, env: Record<string, string>) {
  const out = execFileSync('/bin/sh', ['-s'], { input: script, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'ignore'] });
  const parser = new ScanParser({ keepListing: true, base: true, seen: true });
  parser.push(out);
  return parser.finish();
}

/** A small tree with hostile names, a folder, a symlink and an excluded file; returns its root. */
function makeTree(): string {
  const tree = mkdtempSync(join(dir, 'expect-'));
  mkdirSync(join(tree, 'docs/sub'), { recursive: true });
  for (const name of hostile) writeFileSync(join(tree, 'docs', name), name);
  writeFileSync(join(tree, 'docs/sub/keep.c'), 'source');
  writeFileSync(join(tree, 'docs/sub/x.o'), 'object');
  symlinkSync('../nowhere at all', join(tree, 'docs/link'));
  execFileSync('touch', ['-h', '-d', '@1700000000.123456789', join(tree, 'docs/a b')]);
  return tree;
}

const treeNames = ['docs', 'docs/link', 'docs/sub', 'docs/sub/keep.c', ...hostile.map((h) => `docs/${h}`)].sort();

describe.each([
  ['linux (GNU find -printf)', 'linux' as const],
  ['darwin form (find -print0 | perl)', 'darwin' as const],
])('buildScanScript with a seen line, %s', (_label, os) => {
  let tree: string;
  let tmp: string;
  beforeEach(() => {
    tree = makeTree();
    tmp = mkdtempSync(join(dir, 'tmpdir-'));
  });
  const script = (expectDigest?: string) => buildScanScript({ root: tree, paths: ['docs', 'missing'], mode: 'tree', exclude: ['*.o'], os, ...plantSeen(tree, ['docs', 'missing'], expectDigest) });
  const scan = (expectDigest?: string, env: Record<string, string> = {}) => runWith(script(expectDigest), { TMPDIR: tmp, ...env });

  it('answers "same" (no entries) when the listing still has the expected digest, leaving no temp file', () => {
    const plain = scan();
    expect(plain.unchanged).toBe(false);
    expect([...plain.entries.keys()].sort()).toEqual(treeNames);
    expect(plain.listingDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(plain.listingDigest).toBe(sha256(plain.listing!));

    const hit = scan(plain.listingDigest);
    expect(hit.unchanged).toBe(true);
    expect(hit.complete).toBe(true);
    expect(hit.rootExists).toBe(true);
    expect(hit.entries.size).toBe(0);
    expect(hit.skipped).toBe(0);
    expect(hit.listingDigest).toBe('');
    expect(hit.listing).toEqual(Buffer.alloc(0));
    expect(readdirSync(tmp)).toEqual([]);
  });

  it.each([
    ['a file\'s mtime changed (touch -d)', (t: string) => execFileSync('touch', ['-d', '@1600000000.25', join(t, 'docs/sub/keep.c')])],
    ['a file\'s content changed', (t: string) => writeFileSync(join(t, "docs/it's"), 'longer content than before')],
    ['a file added', (t: string) => writeFileSync(join(t, 'docs/sub/new'), '')],
    ['a file removed', (t: string) => rmSync(join(t, 'docs/-rf'))],
    ['a symlink retargeted', (t: string) => {
      rmSync(join(t, 'docs/link'));
      symlinkSync('../nowhere at alL', join(t, 'docs/link'));
    }],
  ])('lists the tree again, exactly as a plain scan, when %s', (_what, change) => {
    const before = scan();
    change(tree);
    const miss = scan(before.listingDigest);
    const plain = scan();
    expect(miss.unchanged).toBe(false);
    expect(miss.complete).toBe(true);
    expect(plain.listingDigest).not.toBe(before.listingDigest);
    expect(miss.entries).toEqual(plain.entries);
    expect([...miss.entries.keys()]).toEqual([...plain.entries.keys()]);
    expect(miss.listingDigest).toBe(plain.listingDigest);
    expect(miss.listing).toEqual(plain.listing);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('lists hostile names exactly on a miss, executing nothing', () => {
    const before = scan();
    execFileSync('touch', ['-d', '@1600000000', join(tree, 'docs/tab\there')]);
    const miss = scan(before.listingDigest);
    expect(miss.unchanged).toBe(false);
    expect([...miss.entries.keys()].sort()).toEqual(treeNames);
    expect(miss.entries.get('docs/tab\there')?.mtime).toBe(1600000000);
    expect(miss.entries.get('docs/new\nline')).toMatchObject({ type: 'file', size: 'new\nline'.length });
    expect(miss.entries.get('docs/a b')?.mtime).toBeCloseTo(1700000000.123456789, 6);
    expect(miss.entries.get('docs/link')).toMatchObject({ type: 'symlink', target: '../nowhere at all' });
    for (const where of [tree, join(tree, 'docs'), tmp, dir, process.cwd()]) expect(existsSync(join(where, pwned))).toBe(false);
  });

  it('leaves no blat-scan.* temp file in TMPDIR after a hit or a miss', () => {
    const digest = scan().listingDigest;
    expect(scan(digest).unchanged).toBe(true);
    expect(readdirSync(tmp)).toEqual([]);
    expect(scan('0'.repeat(64)).unchanged).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('simply lists the tree when no temp file can be made (TMPDIR missing)', () => {
    const plain = scan();
    const out = scan(plain.listingDigest, { TMPDIR: join(tmp, 'no such folder') });
    expect(out.unchanged).toBe(false);
    expect(out.complete).toBe(true);
    expect(out.entries).toEqual(plain.entries);
    expect(out.listingDigest).toBe(plain.listingDigest);
  });

  it('on a miss, sends the listing it hashed (GNU find ended well) without walking the tree again; the perl form walks it again', () => {
    const before = scan();
    execFileSync('touch', ['-d', '@1600000000', join(tree, 'docs/sub/keep.c')]);
    // A find that counts its runs, ahead of the real one on the PATH.
    const bin = mkdtempSync(join(dir, 'countbin-'));
    const count = join(bin, 'runs');
    const realFind = execFileSync('/bin/sh', ['-c', 'command -v find'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'find'), `#!/bin/sh\necho x >> '${count}'\nexec '${realFind}' "$@"\n`, { mode: 0o755 });
    const env = { TMPDIR: tmp, PATH: `${bin}:${process.env.PATH ?? ''}` };
    const runs = () => readFileSync(count, 'utf8').split('\n').filter(Boolean).length;
    const only = (digest?: string) => buildScanScript({ root: tree, paths: ['docs'], mode: 'tree', exclude: ['*.o'], os, ...plantSeen(tree, ['docs'], digest) });
    const was = runWith(only(), {});
    writeFileSync(join(tree, 'docs/sub/keep.c'), 'changed');
    const miss = runWith(only(was.listingDigest), env);
    const plain = runWith(only(), {});
    expect(miss.unchanged).toBe(false);
    expect(miss.listing).toEqual(plain.listing);
    expect(miss.listingDigest).toBe(plain.listingDigest);
    expect(runs()).toBe(os === 'linux' ? 1 : 2);
    // A start point that is not there makes find fail: the temp file is not trusted, the tree is walked again.
    const missing = runWith(script(before.listingDigest), env);
    expect(missing.listing).toEqual(scan().listing);
    expect(runs()).toBe(os === 'linux' ? 3 : 4);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('lists the tree again when the temp file could not be written whole (TMPDIR on a full tmpfs)', () => {
    const before = scan();
    writeFileSync(join(tree, 'docs/sub/new'), 'x'.repeat(100));
    const full = mkdtempSync(join(dir, 'full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    try {
      // Room for the temp files' inodes, none for the listing.
      execFileSync('sh', ['-c', 'dd if=/dev/zero of="$1/fill" bs=1k 2>/dev/null; true', 'sh', full]);
      const miss = runWith(script(before.listingDigest), { TMPDIR: full });
      const plain = scan();
      expect(miss.unchanged).toBe(false);
      expect(miss.complete).toBe(true);
      expect(miss.entries).toEqual(plain.entries);
      expect(miss.listing).toEqual(plain.listing);
      expect(readdirSync(full)).toEqual(['fill']);
    } finally {
      execFileSync('umount', [full]);
    }
  });

  describe('with a PATH of only the tools the script needs', () => {
    const tools = ['sh', 'find', 'xargs', 'perl', 'uname', 'date', 'mktemp', 'cut', 'rm', 'cat', 'printf'];
    /** A folder of symlinks to `names` (those that are programs on this PATH) on the real PATH. */
    function binDir(names: readonly string[]): string {
      const bin = mkdtempSync(join(dir, 'bin-'));
      for (const name of names) {
        const found = execFileSync('/bin/sh', ['-c', `command -v ${name} || true`], { encoding: 'utf8' }).trim();
        if (found.startsWith('/')) symlinkSync(found, join(bin, name));
      }
      return bin;
    }
    const lacks = (bin: string, name: string) =>
      execFileSync('/bin/sh', ['-c', `command -v ${name} >/dev/null 2>&1 && echo yes || echo no`], { env: { PATH: bin }, encoding: 'utf8' }).trim() === 'no';

    it('lists everything when neither sha256sum nor shasum is there', () => {
      const bin = binDir(tools);
      expect(lacks(bin, 'sha256sum')).toBe(true);
      expect(lacks(bin, 'shasum')).toBe(true);
      const plain = scan();
      const out = runWith(script(plain.listingDigest), { PATH: bin, TMPDIR: tmp });
      expect(out.unchanged).toBe(false);
      expect(out.complete).toBe(true);
      expect(out.entries).toEqual(plain.entries);
      expect(out.listingDigest).toBe(plain.listingDigest);
      expect(readdirSync(tmp)).toEqual([]);
    });

    it('uses shasum -a 256 when sha256sum is not there', () => {
      const bin = binDir([...tools, 'shasum']);
      expect(lacks(bin, 'sha256sum')).toBe(true);
      expect(lacks(bin, 'shasum')).toBe(false);
      const plain = scan();
      const hit = runWith(script(plain.listingDigest), { PATH: bin, TMPDIR: tmp });
      expect(hit.unchanged).toBe(true);
      expect(hit.entries.size).toBe(0);
      const miss = runWith(script('f'.repeat(64)), { PATH: bin, TMPDIR: tmp });
      expect(miss.unchanged).toBe(false);
      expect(miss.entries).toEqual(plain.entries);
      expect(readdirSync(tmp)).toEqual([]);
    });

    /** A PATH of the tools, plus a stand-in `name` (a shell script) that records its runs in the file it returns. */
    function withStandIn(name: string, body: string): { bin: string; runs: () => number } {
      const bin = binDir([...tools, 'sha256sum', 'openssl'].filter((t) => t !== name));
      const count = join(bin, `${name}.runs`);
      writeFileSync(join(bin, name), `#!/bin/sh\necho x >> '${count}'\n${body}\n`, { mode: 0o755 });
      return { bin, runs: () => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0) };
    }
    const big = (digest?: string) => buildScanScript({ root: tree, paths: ['docs', 'missing'], mode: 'tree', exclude: ['*.o'], os, ...plantSeen(tree, ['docs', 'missing'], digest, 'tok-1', FAST_DIGEST_PATHS) });

    it.skipIf(!existsSync('/usr/bin/openssl'))('hashes a listing of a seen line naming many paths with openssl: "same" without sha256sum, the listing sent on a miss', () => {
      const plain = scan();
      const broken = withStandIn('sha256sum', 'echo 0000 -; exit 0');
      const hit = runWith(big(plain.listingDigest), { PATH: broken.bin, TMPDIR: tmp });
      expect(hit.unchanged).toBe(true);
      expect(broken.runs()).toBe(0);
      const miss = runWith(big('f'.repeat(64)), { PATH: broken.bin, TMPDIR: tmp });
      expect(miss.unchanged).toBe(false);
      expect(miss.listing).toEqual(plain.listing);
      // Few paths: sha256sum, even where openssl is (here, the broken one: never "same").
      expect(runWith(script(plain.listingDigest), { PATH: broken.bin, TMPDIR: tmp }).unchanged).toBe(false);
      expect(broken.runs()).toBe(1);
      expect(readdirSync(tmp)).toEqual([]);
    });

    it('falls back to sha256sum when openssl answers something that is not a sha256', () => {
      const plain = scan();
      for (const body of ['echo "SHA2-256(stdin)= abc"', 'exit 1', `echo '${'g'.repeat(64)} *stdin'`]) {
        const odd = withStandIn('openssl', body);
        const hit = runWith(big(plain.listingDigest), { PATH: odd.bin, TMPDIR: tmp });
        expect(hit.unchanged).toBe(true);
        expect(odd.runs()).toBe(1);
        // Not run for a short listing.
        expect(runWith(script(plain.listingDigest), { PATH: odd.bin, TMPDIR: tmp }).unchanged).toBe(true);
        expect(odd.runs()).toBe(1);
      }
      expect(readdirSync(tmp)).toEqual([]);
    });

    it('lists everything when mktemp is not there', () => {
      const bin = binDir([...tools.filter((t) => t !== 'mktemp'), 'sha256sum']);
      expect(lacks(bin, 'mktemp')).toBe(true);
      const plain = scan();
      const out = runWith(script(plain.listingDigest), { PATH: bin, TMPDIR: tmp });
      expect(out.unchanged).toBe(false);
      expect(out.entries).toEqual(plain.entries);
    });
  });
});

describe('buildScanScript with a base', () => {
  it("removes the temp files of writers killed before their rename once older than the stall timeout, and nothing else", () => {
    const r = mkdtempSync(join(tmpdir(), 'blat-basetemps-'));
    try {
      const set = join(r, '.blat/sets/s');
      mkdirSync(set, { recursive: true });
      mkdirSync(join(r, 'docs'));
      const old = ['.head.123', '.base-lz0-abc.99', '.seen-0123456789ab.7'];
      const kept = ['.head.456', 'head', 'base-lz0-abc', 'seen-0123456789ab', '.other'];
      for (const name of [...old, ...kept]) writeFileSync(join(set, name), 'x');
      for (const name of [...old, 'head', 'base-lz0-abc', 'seen-0123456789ab', '.other']) execFileSync('touch', ['-d', '@1600000000', join(set, name)]);
      const out = execFileSync('/bin/sh', ['-s'], { input: buildScanScript({ root: r, paths: ['docs'], mode: 'tree', exclude: [], os: 'linux', base: { dir: '.blat/sets/s' } }) });
      const parser = new ScanParser({ base: true });
      parser.push(out);
      expect(parser.finish().complete).toBe(true);
      expect(readdirSync(set).sort()).toEqual([...kept].sort());
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });
});

describe('buildScanScript seen validation', () => {
  it.each(['seen-; rm -rf /', 'seen-ABCDEF012345', 'seen-0123', 'head', ''])('refuses a seen file name that is not seen- and 12 hex digits: %j', (bad) => {
    expect(() => buildScanScript({ root: '/r', paths: ['docs'], mode: 'tree', exclude: [], os: 'linux', base: { dir: '.blat/sets/s' }, seen: bad })).toThrow('seen: not a seen file name');
  });
  it('wants a tree scan with its base, and no checksum', () => {
    const seen = 'seen-0123456789ab';
    expect(() => buildScanScript({ root: '/r', paths: ['docs'], mode: 'tree', exclude: [], os: 'linux', seen })).toThrow('seen: a tree scan with its base');
    expect(() => buildScanScript({ root: '/r', paths: ['docs'], mode: 'tree', exclude: [], os: 'linux', base: { dir: '.blat/sets/s' }, seen, checksum: true })).toThrow('without checksum');
  });

  it.each([
    ['another magic word', (d: string) => `blat-seen-2 ${d} tok 3 2\n`],
    ['a digest in capitals', (d: string) => `blat-seen-1 ${d.toUpperCase()} tok 3 2\n`],
    ['a short digest', (d: string) => `blat-seen-1 ${d.slice(1)} tok 3 2\n`],
    ['a count that is not a number', (d: string) => `blat-seen-1 ${d} tok 3a 2\n`],
    ['a token with a capital', (d: string) => `blat-seen-1 ${d} Tok 3 2\n`],
    ['a sixth word', (d: string) => `blat-seen-1 ${d} tok 3 2 9\n`],
    ['a glob for a token', (d: string) => `blat-seen-1 ${d} * 3 2\n`],
    ['a command for a token', (d: string) => `blat-seen-1 ${d} $(touch${'${IFS}'}${pwned}) 3 2\n`],
  ])('lists the tree (no "same", no seen line sent) when the seen file holds %s', (_what, line) => {
    const tree = makeTree();
    const plain = runWith(buildScanScript({ root: tree, paths: ['docs'], mode: 'tree', exclude: ['*.o'], os: 'linux', ...plantSeen(tree, ['docs'], undefined) }), {});
    const opts = plantSeen(tree, ['docs'], plain.listingDigest);
    writeFileSync(join(tree, opts.base.dir, opts.seen), line(plain.listingDigest));
    const out = runWith(buildScanScript({ root: tree, paths: ['docs'], mode: 'tree', exclude: ['*.o'], os: 'linux', ...opts }), {});
    expect(out.unchanged).toBe(false);
    expect(out.base?.seen).toBe('');
    expect(out.entries).toEqual(plain.entries);
    expect(existsSync(join(tree, pwned))).toBe(false);
  });

  it('sends a pending line (no digest: the machine was written since) and lists the tree: never "same"', () => {
    const tree = makeTree();
    const plain = runWith(buildScanScript({ root: tree, paths: ['docs'], mode: 'tree', exclude: ['*.o'], os: 'linux', ...plantSeen(tree, ['docs'], undefined) }), {});
    const opts = plantSeen(tree, ['docs'], plain.listingDigest);
    writeFileSync(join(tree, opts.base.dir, opts.seen), 'blat-seen-1 - tok-2 3 2\n');
    const out = runWith(buildScanScript({ root: tree, paths: ['docs'], mode: 'tree', exclude: ['*.o'], os: 'linux', ...opts }), {});
    expect(out.unchanged).toBe(false);
    expect(out.base?.seen).toBe('blat-seen-1 - tok-2 3 2');
    expect(out.entries).toEqual(plain.entries);
  });

  it('sends the seen line it answers "same" by', () => {
    const tree = makeTree();
    const plain = runWith(buildScanScript({ root: tree, paths: ['docs'], mode: 'tree', exclude: ['*.o'], os: 'linux', ...plantSeen(tree, ['docs'], undefined) }), {});
    const hit = runWith(buildScanScript({ root: tree, paths: ['docs'], mode: 'tree', exclude: ['*.o'], os: 'linux', ...plantSeen(tree, ['docs'], plain.listingDigest, 'lz0-abc123') }), {});
    expect(hit.unchanged).toBe(true);
    expect(hit.base?.seen).toBe(`blat-seen-1 ${plain.listingDigest} lz0-abc123 3 2`);
  });
});

describe('buildScanScript with prepareDir', () => {
  it('makes the folder; removes a temp file unmodified for more than the stall timeout, keeps fresh ones and live staging folders', () => {
    const r = mkdtempSync(join(tmpdir(), 'blat-prepare-'));
    try {
      mkdirSync(join(r, '.blat-tmp'));
      // A killed rsync's temp file, last written 5 minutes ago (today's code kept it for a day).
      writeFileSync(join(r, '.blat-tmp/.a.txt.Xy12Zq'), 'partial');
      execFileSync('touch', ['-d', '@' + String(Math.floor(Date.now() / 1000) - 300), join(r, '.blat-tmp/.a.txt.Xy12Zq')]);
      // A transfer still writing.
      writeFileSync(join(r, '.blat-tmp/.b.txt.Ab34Cd'), 'growing');
      // A staging folder being filled: rsync gives placed files their source's old mtime, yet it is live.
      mkdirSync(join(r, '.blat-tmp/stage-run-1/docs/deep'), { recursive: true });
      writeFileSync(join(r, '.blat-tmp/stage-run-1/docs/deep/placed'), 'x');
      execFileSync('touch', ['-d', '@1600000000', join(r, '.blat-tmp/stage-run-1/docs/deep/placed'), join(r, '.blat-tmp/stage-run-1/docs/deep')]);
      run(buildScanScript({ root: r, paths: [], mode: 'stat', exclude: [], prepareDir: '.blat-tmp' }));
      expect(existsSync(join(r, '.blat-tmp/.a.txt.Xy12Zq'))).toBe(false);
      expect(existsSync(join(r, '.blat-tmp/.b.txt.Ab34Cd'))).toBe(true);
      expect(existsSync(join(r, '.blat-tmp/stage-run-1/docs/deep/placed'))).toBe(true);
      mkdirSync(join(r, 'other'));
      run(buildScanScript({ root: join(r, 'other'), paths: [], mode: 'stat', exclude: [], prepareDir: '.blat-tmp' }));
      expect(existsSync(join(r, 'other/.blat-tmp'))).toBe(true);
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });

  it('keeps what cut transfers left in the partial folder for a day (the next transfer of the file sends only the rest)', () => {
    const r = mkdtempSync(join(tmpdir(), 'blat-prepare-'));
    try {
      mkdirSync(join(r, '.blat-tmp/partial'), { recursive: true });
      const now = Math.floor(Date.now() / 1000);
      writeFileSync(join(r, '.blat-tmp/partial/big.bin'), 'half');
      execFileSync('touch', ['-d', `@${now - 3600}`, join(r, '.blat-tmp/partial/big.bin')]);
      writeFileSync(join(r, '.blat-tmp/partial/old.bin'), 'forgotten');
      execFileSync('touch', ['-d', `@${now - 2 * 86400}`, join(r, '.blat-tmp/partial/old.bin')]);
      run(buildScanScript({ root: r, paths: [], mode: 'stat', exclude: [], prepareDir: '.blat-tmp' }));
      expect(existsSync(join(r, '.blat-tmp/partial/big.bin'))).toBe(true);
      expect(existsSync(join(r, '.blat-tmp/partial/old.bin'))).toBe(false);
      // The partial folder is never taken for a staging folder, however long nothing changed in it.
      expect(buildPrepareLines('.blat-tmp', 60).join('\n')).toContain("-type d ! -name partial -exec");
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });

  it('looks into the folder (find) only when it holds something, hidden names included', () => {
    const r = mkdtempSync(join(tmpdir(), 'blat-prepare-'));
    try {
      const bin = join(r, 'bin');
      mkdirSync(bin);
      const count = join(r, 'finds');
      const realFind = execFileSync('/bin/sh', ['-c', 'command -v find'], { encoding: 'utf8' }).trim();
      writeFileSync(join(bin, 'find'), `#!/bin/sh\necho x >> '${count}'\nexec '${realFind}' "$@"\n`, { mode: 0o755 });
      const finds = () => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0);
      const script = buildScanScript({ root: r, paths: [], mode: 'stat', exclude: [], os: 'linux', prepareDir: '.blat-tmp' });
      const prepare = () => execFileSync('/bin/sh', ['-s'], { input: script, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
      prepare();
      expect(existsSync(join(r, '.blat-tmp'))).toBe(true);
      prepare();
      expect(finds()).toBe(0);
      for (const name of ['.a.txt.Xy12Zq', '..b', 'c']) {
        writeFileSync(join(r, '.blat-tmp', name), 'left by a dead rsync');
        execFileSync('touch', ['-d', '@1600000000', join(r, '.blat-tmp', name)]);
        const before = finds();
        prepare();
        expect(finds()).toBeGreaterThan(before);
        expect(readdirSync(join(r, '.blat-tmp'))).toEqual([]);
      }
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });

  it('rounds the stall timeout up to whole minutes for find', () => {
    expect(buildPrepareLines('.blat-tmp', 60).join('\n')).toContain('-mmin +1 ');
    expect(buildPrepareLines('.blat-tmp', 61).join('\n')).toContain('-mmin +2 ');
    expect(buildPrepareLines('.blat-tmp', 5).join('\n')).toContain('-cmin +1 ');
  });
});

describe('buildScanScript with pruneTrashBefore', () => {
  it('removes the older trash runs on the way, silently: the output is the same scan', () => {
    const r = mkdtempSync(join(tmpdir(), 'blat-prune-'));
    try {
      for (const run of ['2020-01-01T00-00-00-000Z', '2024-05-01T12-00-00-000Z']) {
        mkdirSync(join(r, '.blat-trash', run, 'docs'), { recursive: true });
        writeFileSync(join(r, '.blat-trash', run, 'docs/a'), 'kept');
      }
      mkdirSync(join(r, 'docs'));
      writeFileSync(join(r, 'docs/a'), 'a');
      const plain = run(buildScanScript({ root: r, paths: ['docs/a'], mode: 'stat', exclude: [], prepareDir: '.blat-tmp' }));
      const pruning = run(buildScanScript({ root: r, paths: ['docs/a'], mode: 'stat', exclude: [], prepareDir: '.blat-tmp', pruneTrashBefore: '2024-01-01T00-00-00-000Z' }));
      expect(pruning.complete).toBe(true);
      expect([...pruning.entries]).toEqual([...plain.entries]);
      expect(readdirSync(join(r, '.blat-trash'))).toEqual(['2024-05-01T12-00-00-000Z']);
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });
});
