// End to end: `blat demo` builds its sandbox of local machines and runs plan, apply, plan in it.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { readStat, readTree } from '../helpers/tree.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'blat-demo-test-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const FILES = ['docs/meeting notes.txt', 'docs/notes.txt', 'docs/todo.md', 'etc/machine.txt'];

/** path → [content, exact mtime] of the demo's files on one machine (its trash left out). */
async function readFiles(root: string): Promise<Record<string, [string, bigint]>> {
  const out: Record<string, [string, bigint]> = {};
  for (const row of await readTree(root)) {
    if (row.type === 'dir' || row.path.startsWith('.blat-trash/') || row.path.startsWith('.blat/')) continue;
    out[row.path] = [await readFile(join(root, row.path), 'utf8'), (await readStat(join(root, row.path))).mtimeNs];
  }
  return out;
}

describe('blat demo', () => {
  it('prints the plan, the apply and the second plan, and the three machines converge', async () => {
    const dir = join(work, 'my demo');
    const r = await runBlat(['demo', '--dir', dir], { cwd: work });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const sections = [...r.stdout.matchAll(/^=== (.*)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['blat plan', 'blat apply --auto-approve', 'blat plan (again: all in sync but what is owed to usbdisk)', 'blat journal']);
    const [, first, applied, second] = r.stdout.split(/^=== .*$/m);
    expect(first).toMatch(/Plan: 2 to pull, 5 to push, \d+ deferred, 0 conflicts, 0 deletions held; \d+ versions will be kept in trash\./);
    expect(applied).toMatch(/Apply finished: [^;]*; 7 done, 0 failed, 0 stale, \d+ deferred\./);
    expect(second).toMatch(/Plan: 0 to pull, 0 to push, \d+ deferred|No changes/);
    expect(second).not.toMatch(/│ (pull|push) /);

    const laptop = await readFiles(join(dir, 'laptop'));
    expect(Object.keys(laptop).sort()).toEqual(FILES);
    expect(laptop['docs/notes.txt'][0]).toBe('notes, second draft (edited on the desktop)\n');
    expect(laptop['docs/meeting notes.txt'][0]).toBe('agenda: blat\n');
    expect(laptop['etc/machine.txt'][0]).toBe('laptop,,Linux,online\ndesktop,,Linux,online\n');
    for (const m of ['desktop', 'server']) expect(await readFiles(join(dir, m)), m).toEqual(laptop);
    // The unplugged disk is owed everything, and gets it once it is back.
    const journal = await runBlat(['journal', '-c', join(dir, 'blat.yaml')], { cwd: work });
    expect(journal.stdout).toMatch(/^usbdisk: \d+ owed$/m);
    await mkdir(join(dir, 'usbdisk'));
    const resumed = await runBlat(['-c', join(dir, 'blat.yaml'), 'apply', '--resume', '--auto-approve'], { cwd: work });
    expect(resumed.code).toBe(0);
    expect(await readFiles(join(dir, 'usbdisk'))).toEqual(laptop);
  });

  it('makes a temporary folder when not given one, and says where', async () => {
    const r = await runBlat(['demo'], { cwd: work, env: { TMPDIR: work } });
    expect(r.code).toBe(0);
    const dir = /^blat demo: a sandbox of four machines in (.*)$/m.exec(r.stdout)?.[1];
    expect(dir).toBeDefined();
    expect(dir!.startsWith(join(work, 'blat-demo-'))).toBe(true);
    const laptop = await readFiles(join(dir!, 'laptop'));
    expect(Object.keys(laptop).sort()).toEqual(FILES);
    expect(await readFiles(join(dir!, 'server'))).toEqual(laptop);
  });

  it('refuses a --dir that is not empty, or not a folder: one line, exit 1, nothing written', async () => {
    const dir = join(work, 'mine');
    await mkdir(join(dir, '.blat'), { recursive: true });
    await writeFile(join(dir, 'blat.yaml'), 'my own config\n');
    await writeFile(join(dir, '.blat', 'base.json'), 'my own state\n');
    const r = await runBlat(['demo', '--dir', dir], { cwd: work });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`blat: --dir ${dir}: refused: the folder is not empty (the demo writes blat.yaml, a state folder and machine roots there); give a new or empty folder\n`);
    expect(r.code).toBe(1);
    expect(await readFile(join(dir, 'blat.yaml'), 'utf8')).toBe('my own config\n');
    expect(await readFile(join(dir, '.blat', 'base.json'), 'utf8')).toBe('my own state\n');
    expect((await readdir(dir)).sort()).toEqual(['.blat', 'blat.yaml']);

    const file = join(work, 'a file');
    await writeFile(file, 'x');
    const notDir = await runBlat(['demo', '--dir', file], { cwd: work });
    expect(notDir.stderr).toBe(`blat: --dir ${file}: not a folder\n`);
    expect(notDir.code).toBe(1);
    expect(await readFile(file, 'utf8')).toBe('x');

    // An empty folder is fine.
    const empty = join(work, 'empty');
    await mkdir(empty);
    expect((await runBlat(['demo', '--dir', empty], { cwd: work })).code).toBe(0);
  });
});
