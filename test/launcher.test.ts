import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBlat } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'blat-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the blat command (src/launcher.ts)', () => {
  it('keeps a code cache in its private folder, uses it, and replaces one V8 refuses', async () => {
    const run = () => runBlat(['--version'], { cwd: dir, env: { TMPDIR: dir } });
    const folder = join(dir, `blat-${userInfo().uid}`);
    const first = await run();
    expect(first.code).toBe(0);
    const [name, ...more] = readdirSync(folder).filter((n) => n.endsWith('.v8'));
    expect(more).toEqual([]);
    expect(name).toMatch(/^code-[0-9a-f]+-other\.v8$/);
    const cache = join(folder, name);
    const written = statSync(cache);
    expect(written.size).toBeGreaterThan(10_000);

    // Used, not written again.
    const second = await run();
    expect(second.stdout).toBe(first.stdout);
    expect(statSync(cache).mtimeMs).toBe(written.mtimeMs);

    // Damaged: refused by V8, the run goes on without it, and it is written anew.
    writeFileSync(cache, 'not a code cache');
    const third = await run();
    expect(third.code).toBe(0);
    expect(third.stdout).toBe(first.stdout);
    expect(readFileSync(cache).length).toBeGreaterThan(10_000);
  });
});
