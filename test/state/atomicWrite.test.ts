import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlatError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/state/atomicWrite.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates missing parent directories and writes the content', async () => {
    const file = join(dir, 'a', 'b', 'state.json');
    await writeFileAtomic(file, 'hello\n');
    expect(await readFile(file, 'utf8')).toBe('hello\n');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['state.json']);
  });

  it('replaces existing content with the new, from a string or bytes, leaving no temp file', async () => {
    const file = join(dir, 'base.json');
    await writeFile(file, 'old content that is longer than the new one');
    await writeFileAtomic(file, 'new');
    expect(await readFile(file, 'utf8')).toBe('new');
    await writeFileAtomic(file, new Uint8Array([0x61, 0x00, 0x62]));
    expect([...(await readFile(file))]).toEqual([0x61, 0x00, 0x62]);
    expect(await readdir(dir)).toEqual(['base.json']);
  });

  it('on failure leaves the old target as it was, removes the temp file and names the file', async () => {
    const file = join(dir, 'target');
    await mkdir(file); // renaming a file over a directory fails
    await writeFile(join(file, 'inside'), 'kept');
    const error = await writeFileAtomic(file, 'new').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlatError);
    expect((error as BlatError).summary).toContain(`${file}: cannot write`);
    expect(await readFile(join(file, 'inside'), 'utf8')).toBe('kept');
    expect(await readdir(dir)).toEqual(['target']);
  });

  it('readers only ever see a whole old or whole new version while writers race', async () => {
    const file = join(dir, 'big.json');
    const versions = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => c.repeat(512 * 1024));
    await writeFileAtomic(file, versions[0]);
    const seen = new Set<string>();
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const text = await readFile(file, 'utf8');
        seen.add(text.length === versions[0].length && versions.includes(text) ? 'whole' : `partial:${text.length}`);
      }
    })();
    for (let round = 0; round < 5; round++) await Promise.all(versions.map((v) => writeFileAtomic(file, v)));
    writing = false;
    await reader;
    expect([...seen]).toEqual(['whole']);
    expect(versions).toContain(await readFile(file, 'utf8'));
    expect(await readdir(dir)).toEqual(['big.json']);
  });
});
