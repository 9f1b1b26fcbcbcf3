import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findCodeCacheFile, readCodeCache, writeCodeCache } from '../src/codeCache.js';

const dir = mkdtempSync(join(tmpdir(), 'blat-codecache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = (label: string): string => {
  const path = join(dir, label);
  mkdirSync(path, { recursive: true });
  return path;
};

describe('findCodeCacheFile', () => {
  it('names one file per bundle text and command, in the private folder', async () => {
    const base = fresh('names');
    const a = await findCodeCacheFile('text a', ['-c', 'x.yaml', 'apply', 'plan'], base);
    expect(a).toMatch(new RegExp(`^${join(base, `blat-${userInfo().uid}`)}/code-[0-9a-f]{24}-apply\\.v8$`));
    expect(await findCodeCacheFile('text a', ['apply'], base)).toBe(a);
    expect(await findCodeCacheFile('text a', ['plan'], base)).not.toBe(a);
    expect(await findCodeCacheFile('text b', ['apply'], base)).not.toBe(a);
    expect(await findCodeCacheFile('text a', ['--version'], base)).toMatch(/-other\.v8$/);
  });

  it('gives none when the private folder is open to others', async () => {
    const base = fresh('open');
    const folder = join(base, `blat-${userInfo().uid}`);
    mkdirSync(folder);
    chmodSync(folder, 0o777);
    expect(await findCodeCacheFile('text', ['plan'], base)).toBeNull();
  });
});

describe('writeCodeCache', () => {
  it('writes the cache whole, readable by its owner only, and removes other bundles\' caches, not other commands\'', async () => {
    const base = fresh('write');
    const plan = (await findCodeCacheFile('new', ['plan'], base))!;
    const apply = (await findCodeCacheFile('new', ['apply'], base))!;
    const old = (await findCodeCacheFile('old', ['plan'], base))!;
    writeCodeCache(old, Buffer.from('old'));
    writeCodeCache(apply, Buffer.from('apply'));
    writeFileSync(join(base, `blat-${userInfo().uid}`, 'cm-ssh-socket-like'), '');
    writeCodeCache(plan, Buffer.from('plan'));
    expect(readCodeCache(plan)?.toString()).toBe('plan');
    expect(readCodeCache(apply)?.toString()).toBe('apply');
    expect(existsSync(old)).toBe(false);
    expect(readdirSync(join(base, `blat-${userInfo().uid}`)).sort()).toHaveLength(3);
    expect(readFileSync(plan).length).toBe(4);
    expect(statSync(plan).mode & 0o777).toBe(0o600);
  });

  it('reads nothing where there is no cache', () => {
    expect(readCodeCache(join(dir, 'none.v8'))).toBeNull();
    expect(readCodeCache(null)).toBeNull();
  });
});
