import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlaceScript, parsePlaceOutput } from '../../src/transport/placeScript.js';

const dir = mkdtempSync(join(tmpdir(), 'blat-place-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildPlaceScript', () => {
  it('renames staged folders into place, never over anything, hostile names exact, then removes the staging folder', () => {
    const root = join(dir, "root 'q'");
    const pwned = 'blat-pwned-place';
    const staging = '.blat-tmp/stage-1';
    const names = ['docs/new one', `docs/$(touch ${pwned})`, 'docs/-rf', 'docs/taken', 'docs/link', 'docs/file'];
    mkdirSync(join(root, 'docs'), { recursive: true });
    for (const n of names) {
      mkdirSync(join(root, staging, n), { recursive: true });
      writeFileSync(join(root, staging, n, 'inside'), n);
    }
    mkdirSync(join(root, 'docs/taken'));
    writeFileSync(join(root, 'docs/taken/theirs'), 'theirs');
    symlinkSync('nowhere', join(root, 'docs/link'));
    writeFileSync(join(root, 'docs/file'), 'a file');
    const out = parsePlaceOutput(execFileSync('/bin/sh', ['-s'], { input: buildPlaceScript(root, names.map((n) => ({ from: `${staging}/${n}`, to: n })), [staging]) }));
    expect(Object.fromEntries(out)).toEqual({
      'docs/new one': 'ok',
      [`docs/$(touch ${pwned})`]: 'ok',
      'docs/-rf': 'ok',
      'docs/taken': 'exists',
      'docs/link': 'exists',
      'docs/file': 'exists',
    });
    for (const n of names.slice(0, 3)) expect(readFileSync(join(root, n, 'inside'), 'utf8')).toBe(n);
    expect(readdirSync(join(root, 'docs/taken'))).toEqual(['theirs']);
    expect(readFileSync(join(root, 'docs/file'), 'utf8')).toBe('a file');
    expect(existsSync(join(root, staging))).toBe(false);
    for (const where of [root, join(root, 'docs'), process.cwd()]) expect(existsSync(join(where, pwned))).toBe(false);
  });

  it('fails (and leaves the staged copy to the staging folder\'s removal) when the parent is missing', () => {
    const root = join(dir, 'r2');
    mkdirSync(join(root, '.blat-tmp/s/a/b'), { recursive: true });
    const out = parsePlaceOutput(execFileSync('/bin/sh', ['-s'], { input: buildPlaceScript(root, [{ from: '.blat-tmp/s/a/b', to: 'a/b' }], ['.blat-tmp/s']) }));
    expect(Object.fromEntries(out)).toEqual({ 'a/b': 'fail' });
    expect(existsSync(join(root, 'a'))).toBe(false);
    expect(existsSync(join(root, '.blat-tmp/s'))).toBe(false);
  });
});
