import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildWriteSeenScript } from '../../src/transport/seenScript.js';

describe('buildWriteSeenScript, run by /bin/sh', () => {
  let dir: string;
  let root: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'blat-seen-'));
    root = join(dir, `it's a $(touch pwned) root`);
    mkdirSync(root);
  });
  afterEach(() => {
    expect(existsSync(join(root, 'pwned')) || existsSync(join(tmpdir(), 'pwned'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (script: string) => execFileSync('/bin/sh', ['-s'], { input: script, cwd: tmpdir(), encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });

  it('writes the line in the set folder (made when missing), replacing the one there, leaving no temp file', () => {
    expect(run(buildWriteSeenScript(root, '.blat/sets/s 1', 'seen-0123456789ab', 'first\n'))).toBe('ok\n');
    expect(run(buildWriteSeenScript(root, '.blat/sets/s 1', 'seen-0123456789ab', 'second\n'))).toBe('ok\n');
    expect(readdirSync(join(root, '.blat/sets/s 1'))).toEqual(['seen-0123456789ab']);
    expect(readFileSync(join(root, '.blat/sets/s 1/seen-0123456789ab'), 'utf8')).toBe('second\n');
  });

  it('exits 3 when the root is missing, writing nothing', () => {
    let status: number | undefined;
    try {
      run(buildWriteSeenScript(join(root, 'gone'), '.blat/sets/s', 'seen-0123456789ab', 'x\n'));
    } catch (error) {
      status = (error as { status?: number }).status;
    }
    expect(status).toBe(3);
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses a file name that is not a seen file', () => {
    expect(() => buildWriteSeenScript(root, '.blat/sets/s', 'head', 'x')).toThrow('not a seen file name');
  });
});
