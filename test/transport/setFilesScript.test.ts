import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPrintfCommands, buildWriteSetFilesLines, type SetFile } from '../../src/transport/setFilesScript.js';

// The base files a release writes travel inside its script: run for real by /bin/sh.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blat-setfiles-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sh = (script: string, cwd = dir): Buffer => execFileSync('/bin/sh', ['-s'], { input: script, cwd });

describe('buildPrintfCommands', () => {
  it('writes every byte value, and more than one command of random bytes, exactly; the script is printable ASCII', () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, b) => b));
    const random = randomBytes(200 * 1024);
    const dash = Buffer.concat([Buffer.from('-'), randomBytes((1 << 16) - 1).map((b) => (b === 0x2d ? 0 : b)), Buffer.from('-n')]);
    for (const bytes of [every, random, dash, Buffer.from('--'), Buffer.from("it's 100% \\ $(touch pwned) `x`\n"), Buffer.alloc(0)]) {
      const commands = buildPrintfCommands(bytes);
      for (const c of commands) expect(c).toMatch(/^printf '[\x20-\x7e]*'$/);
      expect(sh([':', ...commands].join('\n'))).toEqual(bytes);
    }
    expect(buildPrintfCommands(random)).toHaveLength(4);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });
});

describe('buildWriteSetFilesLines', () => {
  const body = Buffer.from('./docs/a b\0f\x001700000000\x003\x00644\x00\x00./docs/\xff\0x\0\0\0\0\0', 'latin1');
  const files: SetFile[] = [
    { name: 'base-lz0-abc123', bytes: body },
    { name: 'head', bytes: Buffer.from('blat-base-1 lz0-abc123 {"set":"s"}\n') },
  ];
  const write = (f: readonly SetFile[], setDir = '.blat/sets/s') => sh([`d='${setDir}'`, ...buildWriteSetFilesLines(f), 'echo "w=$w"', ''].join('\n')).toString().replace(/^\.\n/gm, '');

  it('writes the files in the set folder (made when missing), exactly, and leaves no temp file', () => {
    expect(write(files)).toBe('w=1\n');
    const set = join(dir, '.blat/sets/s');
    expect(readFileSync(join(set, 'base-lz0-abc123'))).toEqual(body);
    expect(readFileSync(join(set, 'head'), 'utf8')).toBe('blat-base-1 lz0-abc123 {"set":"s"}\n');
    expect(readdirSync(set).sort()).toEqual(['base-lz0-abc123', 'head']);
    // Written again over the old ones.
    expect(write([{ name: 'head', bytes: Buffer.from('new\n') }])).toBe('w=1\n');
    expect(readFileSync(join(set, 'head'), 'utf8')).toBe('new\n');
    expect(write([])).toBe('w=1\n');
  });

  it('writes nothing over a folder of that name: w=0, no temp file left', () => {
    mkdirSync(join(dir, '.blat/sets/s/head/inside'), { recursive: true });
    expect(write(files)).toBe('w=0\n');
    expect(readdirSync(join(dir, '.blat/sets/s')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(dir, '.blat/sets/s/head'))).toEqual(['inside']);
  });

  it.skipIf(process.getuid?.() !== 0)('on a full disk: w=0, the old head in place, no temp file left', () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    try {
      mkdirSync(join(full, '.blat/sets/s'), { recursive: true });
      writeFileSync(join(full, '.blat/sets/s/head'), 'old\n');
      execFileSync('sh', ['-c', 'dd if=/dev/zero of="$1/fill" bs=1k 2>/dev/null; true', 'sh', full]);
      const big: SetFile[] = [{ name: 'base-lz0-big', bytes: randomBytes(32 * 1024) }, files[1]];
      expect(sh([`d='.blat/sets/s'`, ...buildWriteSetFilesLines(big), 'echo "w=$w"', ''].join('\n'), full).toString().replace(/^\.\n/gm, '')).toBe('w=0\n');
      expect(readFileSync(join(full, '.blat/sets/s/head'), 'utf8')).toBe('old\n');
      expect(readdirSync(join(full, '.blat/sets/s'))).toEqual(['head']);
    } finally {
      execFileSync('umount', [full]);
    }
  });

  it('refuses a name that is not a head or a base file', () => {
    for (const name of ['seen-0123456789ab', 'base-A', '../head', 'head; rm -rf /', ''])
      expect(() => buildWriteSetFilesLines([{ name, bytes: Buffer.alloc(0) }])).toThrow('not a set file name');
  });
});
