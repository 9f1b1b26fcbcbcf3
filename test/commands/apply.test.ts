import { spawn } from 'node:child_process';
import { once } from 'node:events';
// End to end: `blat apply` against a real sshd, real rsync, three ssh machines and one local one.
import { existsSync } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quoteShell } from '../../src/transport/shellQuote.js';
import { buildCliEnv, CLI_PATH, runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { runProcess } from '../helpers/proc.js';
import { type Held, useDocsMachines, randomTag, readHeld, withoutMuxNoise } from './support.js';
import { makeToolSpy } from './toolSpy.js';

const SSH = ['m1', 'm2', 'm3'];
const ALL = ['here', ...SSH];
const machines = useDocsMachines(SSH);
const sandbox = machines.sandbox;

describe.concurrent('blat apply: diverging trees', () => {
  it('converges files, symlinks, nested folders and hostile names to the byte and the nanosecond', async () => {
    const box = await sandbox();
    const tag = randomTag();
    const pwned = `/tmp/blat-pwned-${tag}`;
    try {
      // Newer on different machines.
      await box.write('here', 'docs/a.txt', 'a old\n', '1700000000.100000000');
      await box.write('m1', 'docs/a.txt', 'a newest, from m1\n', '1700000500.123456789');
      await box.write('m2', 'docs/a.txt', 'a old\n', '1700000000.100000000');
      await box.write('here', 'docs/b.txt', 'b newest here\n', '1700000900.987654321');
      await box.write('m3', 'docs/b.txt', 'b older on m3\n', '1700000100.5');
      // Missing files: only on one machine each.
      await box.write('m2', 'docs/only-m2.txt', 'only on m2\n', '1700000200.000000001');
      await box.write('m3', 'docs/nested/deep/er/d.txt', 'deep on m3\n', '1700000300.999999999');
      // Symlinks.
      await box.symlink('m2', 'docs/link-to-a', 'a.txt', '1700000400.25');
      // Hostile names, spread over the machines.
      const hostile: [string, string][] = [
        ['m1', 'docs/with space.txt'],
        ['m2', 'docs/new\nline.txt'],
        ['m3', `docs/it's "quoted".txt`],
        ['here', `docs/$(touch ${pwned})`],
        ['m1', `docs/\`touch ${pwned}\``],
        ['m2', 'docs/-rf'],
        ['m3', 'docs/--delete'],
        ['m1', 'docs/sub dir/-leading dash'],
      ];
      for (const [i, [m, p]] of hostile.entries()) await box.write(m, p, `hostile ${i} ${p}\n`, `17000010${i}0.00000000${i}`);

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Apply complete: [\d,]+ files? \([^)]*\) in [\d.]+ s; \d+ done, 0 failed, 0 stale, 0 deferred\./);

      const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(again.stdout).toMatch(/No changes/);
      expect(again.code).toBe(0);

      const held = new Map<string, Map<string, Held>>();
      for (const m of ALL) held.set(m, await readHeld(box, m));
      const reference = held.get('here')!;
      // Every file and symlink is everywhere with the same bytes and the same mtime to the nanosecond.
      const files = [...reference].filter(([, h]) => h.type !== 'dir');
      expect(files.map(([p]) => p).sort()).toEqual(
        ['docs/a.txt', 'docs/b.txt', 'docs/only-m2.txt', 'docs/nested/deep/er/d.txt', 'docs/link-to-a', ...hostile.map(([, p]) => p)].sort(),
      );
      expect(reference.get('docs/a.txt')).toMatchObject({ content: Buffer.from('a newest, from m1\n'), mtimeNs: 1700000500123456789n });
      expect(reference.get('docs/b.txt')).toMatchObject({ content: Buffer.from('b newest here\n'), mtimeNs: 1700000900987654321n });
      expect(reference.get('docs/link-to-a')).toMatchObject({ type: 'symlink', target: 'a.txt' });
      for (const m of SSH) {
        const mine = held.get(m)!;
        expect([...mine.keys()].sort(), m).toEqual([...reference.keys()].sort());
        for (const [path, h] of files) expect(mine.get(path), `${m}: ${JSON.stringify(path)}`).toEqual(h);
      }
      expect(existsSync(pwned)).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});

/** Every machine's held paths, for "nothing changed" comparisons. */
async function readAll(box: Sandbox): Promise<Record<string, Map<string, unknown>>> {
  const out: Record<string, Map<string, unknown>> = {};
  for (const m of ALL) out[m] = await readHeld(box, m);
  return out;
}

/** here holds three new files; m1..m3 hold none or older ones. */
async function seedPushes(box: Sandbox): Promise<void> {
  await box.write('here', 'docs/a.txt', 'a from here\n', '1700001000.111111111');
  await box.write('here', 'docs/b.txt', 'b from here\n', '1700001000.222222222');
  await box.write('here', 'docs/c.txt', 'c from here\n', '1700001000.333333333');
  await box.write('m2', 'docs/a.txt', 'old a\n', '1700000000');
}

describe.concurrent('blat apply: approval', () => {
  it('without a terminal and without --auto-approve: exit 1 naming --auto-approve, nothing changed', async () => {
    const box = await sandbox();
    try {
      await seedPushes(box);
      const before = await readAll(box);
      const r = await runBlat(['apply'], { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^blat: .*--auto-approve/m);
      expect(r.stdout).toBe('');
      expect(await readAll(box)).toEqual(before);
      expect(existsSync(join(box.dir, '.blat', 'journal.jsonl'))).toBe(false);
      expect(existsSync(join(box.dir, '.blat', 'base.json'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});

/** Runs blat on a pseudo-terminal (util-linux `script`), typing `input`; `script -e` returns blat's exit code. */
function runBlatOnTerminal(args: readonly string[], cwd: string, input: string) {
  const command = [process.execPath, CLI_PATH, ...args].map(quoteShell).join(' ');
  return runProcess('script', ['-qec', command, '/dev/null'], { cwd, env: buildCliEnv({ SHELL: '/bin/sh' }), input });
}

describe('blat apply: approval on a terminal', () => {
  it('shows the progress on the terminal while transferring (percent, files, bytes, a line per machine), redrawn in place and cleared, the In sync line last', async () => {
    const box = await sandbox();
    try {
      await box.writeConfig({ machines: { m1: { bwlimit: 256 }, m2: { bwlimit: 256 } } });
      await writeFile(join(box.root('here'), 'docs', 'big.bin'), Buffer.alloc(640 * 1024, 7)).catch(async () => {
        await mkdir(join(box.root('here'), 'docs'), { recursive: true });
        await writeFile(join(box.root('here'), 'docs', 'big.bin'), Buffer.alloc(640 * 1024, 7));
      });
      const r = await runBlatOnTerminal(['apply', '--auto-approve'], box.dir, '');
      expect(r.code).toBe(0);
      // Drawn: the whole, then one line per machine being written; at least once redrawn in place (cursor up, clear below).
      expect(r.stdout).toMatch(/\r\u001b\[J +\d+% +\d+\/\d+ files +[\d.]+ [KM]iB of [\d.]+ [KM]iB/);
      expect(r.stdout).toMatch(/\n {2}→ m[12] {2}\d+\/\d+ files/);
      expect(r.stdout).toMatch(/\u001b\[\d+A\r\u001b\[J/);
      const percents = [...r.stdout.matchAll(/\u001b\[J +(\d+)%/g)].map((m) => Number(m[1]));
      expect(percents.length).toBeGreaterThan(0);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      const end = r.stdout.replace(/\r\n/g, '\n').trimEnd().split('\n');
      expect(end.at(-1)).toMatch(/In sync: every machine answered and holds the same versions\.$/);
      expect(end.at(-2)).toMatch(/^Apply complete: 3 files \(1\.9 MiB\) in [\d.]+ s; \d+ done, 0 failed, 0 stale, 0 deferred\.$/);
    } finally {
      await box.cleanup();
    }
  }, 60_000);

  it('asks, and a "n" changes nothing while a "y" applies', async () => {
    const box = await sandbox();
    try {
      await seedPushes(box);
      const before = await readAll(box);
      const no = await runBlatOnTerminal(['apply'], box.dir, 'n\n');
      expect(no.stdout).toMatch(/Apply: push 9 files \([\d.]+ K?i?B\) to \d machines?\? \[y\/N\]/);
      expect(no.stdout).toMatch(/Apply cancelled; nothing was changed\./);
      expect(no.code).toBe(1);
      expect(await readAll(box)).toEqual(before);

      const yes = await runBlatOnTerminal(['apply'], box.dir, 'y\n');
      expect(yes.stdout).toMatch(/Apply complete: 9 files \([^)]*\) in [\d.]+ s; 11 done, 0 failed, 0 stale, 0 deferred\./);
      expect(yes.code).toBe(0);
      for (const m of SSH) expect(await box.read(m, 'docs/c.txt')).toBe('c from here\n');
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply FILE: saved plans', () => {
  it('skips a step whose target was edited after the plan as stale, keeps the edit, does the rest, exit 2', async () => {
    const box = await sandbox();
    try {
      await seedPushes(box);
      const planned = await runBlat(['plan', '--out', 'plan.json'], { cwd: box.dir });
      expect(planned.code).toBe(0);
      // After the plan: m2 edits a.txt (the plan would overwrite it), here edits c.txt (the plan would push it).
      await box.write('m2', 'docs/a.txt', 'edited on m2 after the plan\n', '1700002000.5');
      await box.write('here', 'docs/c.txt', 'c edited here after the plan, longer\n', '1700002000.75');

      const r = await runBlat(['apply', 'plan.json'], { cwd: box.dir });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/stale +push docs\/a\.txt here → m2: m2 changed since the plan/);
      expect(r.stdout).toMatch(/stale +push docs\/c\.txt here → m1: here changed since the plan/);
      // 11 planned: docs/ made on m1 and m3, three files to three machines.
      expect(r.stdout).toMatch(/Apply finished: [^;]*; 7 done, 0 failed, 4 stale, 0 deferred\./);
      // The edits survive.
      expect(await box.read('m2', 'docs/a.txt')).toBe('edited on m2 after the plan\n');
      expect((await box.stat('m2', 'docs/a.txt')).mtimeNs).toBe(1700002000500000000n);
      expect(await box.read('here', 'docs/c.txt')).toBe('c edited here after the plan, longer\n');
      // The other steps were done, with times kept.
      for (const m of ['m1', 'm3']) {
        expect(await box.read(m, 'docs/a.txt')).toBe('a from here\n');
        expect((await box.stat(m, 'docs/a.txt')).mtimeNs).toBe(1700001000111111111n);
      }
      for (const m of SSH) {
        expect(await box.read(m, 'docs/b.txt')).toBe('b from here\n');
        expect((await box.stat(m, 'docs/b.txt')).mtimeNs).toBe(1700001000222222222n);
        expect(await box.exists(m, 'docs/c.txt')).toBe(false);
      }
      const journal = await runBlat(['journal', '--json'], { cwd: box.dir });
      expect(journal.code).toBe(0);
      const owed = (JSON.parse(journal.stdout) as { owed: { machine: string; path: string; kind: string }[] }).owed;
      expect(owed.map((o) => `${o.kind} ${o.path} ${o.machine}`).sort()).toEqual(
        ['stale docs/a.txt m2', 'stale docs/c.txt m1', 'stale docs/c.txt m2', 'stale docs/c.txt m3'].sort(),
      );
    } finally {
      await box.cleanup();
    }
  });

  it('refuses a plan made with another configuration, or another format, and changes nothing', async () => {
    const box = await sandbox();
    try {
      await seedPushes(box);
      expect((await runBlat(['plan', '--out', 'plan.json'], { cwd: box.dir })).code).toBe(0);
      const saved = await readFile(join(box.dir, 'plan.json'), 'utf8');
      await box.writeConfig({ exclude: ['*.tmp'] });
      const before = await readAll(box);

      const r = await runBlat(['apply', 'plan.json'], { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^blat: plan\.json: refused: .*different configuration/m);
      expect(r.stdout).toBe('');

      // Back to the planned config, but the file claims another format version.
      await box.writeConfig();
      await writeFile(join(box.dir, 'future.json'), saved.replace(/"formatVersion": 1/, '"formatVersion": 99'));
      const future = await runBlat(['apply', 'future.json'], { cwd: box.dir });
      expect(future.code).toBe(1);
      expect(future.stderr).toMatch(/^blat: future\.json: .*format/im);

      expect(await readAll(box)).toEqual(before);
      expect(existsSync(join(box.dir, '.blat', 'journal.jsonl'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply: the lock', () => {
  it('refuses to run while another live blat holds the lock, naming it, and leaves its lock alone', async () => {
    const box = await sandbox();
    try {
      await seedPushes(box);
      const lock = join(box.dir, '.blat', 'lock');
      await mkdir(join(box.dir, '.blat'), { recursive: true });
      // A live process whose command line is a blat's (a lock naming a pid that runs no blat is stale).
      const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'blat'], { stdio: 'ignore' });
      await once(holder, 'spawn');
      const pid = holder.pid as number;
      const text = `${JSON.stringify({ pid, host: hostname(), time: '2024-05-01T12:00:00.000Z', command: 'blat apply' })}\n`;
      await writeFile(lock, text);
      const before = await readAll(box);

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir }).finally(() => holder.kill('SIGKILL'));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`pid ${pid} on ${hostname()} since 2024-05-01T12:00:00.000Z (blat apply)`);
      expect(await readAll(box)).toEqual(before);
      expect(await readFile(lock, 'utf8')).toBe(text);
      expect(existsSync(join(box.dir, '.blat', 'journal.jsonl'))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});

/** Six files on every machine, with a base (one apply done). */
async function seedSynced(box: Sandbox): Promise<void> {
  for (let i = 1; i <= 6; i++) await box.write('here', `docs/f${i}.txt`, `file ${i}\n`, `170000300${i}.5`);
  const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
  expect(r.code).toBe(0);
  for (const m of SSH) expect(await box.read(m, 'docs/f6.txt')).toBe('file 6\n');
}

/** The trash folders (.blat-trash/<stamp>) of a machine. */
async function readTrashStamps(box: Sandbox, machine: string): Promise<string[]> {
  return readdir(join(box.root(machine), '.blat-trash')).catch(() => []);
}

describe.concurrent('blat apply: names that are not UTF-8', () => {
  it('arrive byte for byte, never merge into one another, and print escaped', async () => {
    const box = await sandbox();
    try {
      await box.write('m1', 'docs/plain.txt', 'plain\n', 1_700_005_000);
      const at = (m: string, ...parts: Buffer[]): Buffer => Buffer.concat([Buffer.from(`${box.root(m)}/docs/`), ...parts]);
      const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "café.txt" in Latin-1
      const other = Buffer.from([0x63, 0x61, 0x66, 0xe8, 0x2e, 0x74, 0x78, 0x74]); // the same name, were bad bytes read as U+FFFD
      const linkName = Buffer.from([0x6c, 0xff]);
      const target = Buffer.from([0x74, 0xfe, 0x2e, 0x74, 0x78, 0x74]);
      await writeFile(at('m1', latin1), 'e9\n');
      await writeFile(at('m1', other), 'e8\n');
      await symlink(target, at('m1', linkName));
      for (const name of [latin1, other]) await utimes(at('m1', name), 1_700_005_001, 1_700_005_001);
      await lutimes(at('m1', linkName), 1_700_005_002, 1_700_005_002);

      const plan = await runBlat(['plan', '--full'], { cwd: box.dir });
      expect(plan.stdout).toContain('docs/caf\\udce9.txt');
      expect(plan.stdout).toContain('docs/caf\\udce8.txt');
      expect(plan.stdout).not.toContain('\uFFFD'); // no raw byte reached the output
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ALL) {
        expect((await readFile(at(m, latin1))).toString()).toBe('e9\n');
        expect((await readFile(at(m, other))).toString()).toBe('e8\n');
        expect((await readlink(at(m, linkName), { encoding: 'buffer' })).equals(target)).toBe(true);
        expect((await lstat(at(m, latin1))).mtimeMs).toBe(1_700_005_001_000);
      }
      const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(again.stdout).toMatch(/No changes/);
      expect(again.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply: the base after later applies', () => {
  it('appends what changed to base.changes.jsonl, and the next plan decides with it', async () => {
    const box = await sandbox();
    try {
      await seedSynced(box);
      const state = join(box.dir, '.blat');
      const baseBefore = await readFile(join(state, 'base.json'), 'utf8');
      await box.write('m2', 'docs/new on m2.txt', 'new\n', '1700004000.25');
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(0);
      expect(await readFile(join(state, 'base.json'), 'utf8')).toBe(baseBefore);
      const lines = (await readFile(join(state, 'base.changes.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]).paths).toContain('docs/new on m2.txt');
      // The base (from the log) knows every machine had it: gone from m3, it is a deletion, not a copy owed to m3.
      await box.remove('m3', 'docs/new on m2.txt');
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.code).toBe(2);
      expect(plan.stdout).toMatch(/Deletions \(1\)/);
      expect(plan.stdout).toMatch(/new on m2\.txt/);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply: deletions', () => {
  it('holds a deletion by default, and with --propagate-deletes moves the other copies to .blat-trash', async () => {
    const box = await sandbox();
    try {
      await seedSynced(box);
      await box.remove('m2', 'docs/f1.txt');

      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.code).toBe(2);
      expect(plan.stdout).toMatch(/Deletions \(1\)/);
      expect(plan.stdout).toMatch(/docs\/f1\.txt/);

      const held = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      // Held: not in sync, and said so last.
      expect(held.code).toBe(2);
      expect(held.stdout).not.toContain('Apply complete');
      expect(held.stdout.trimEnd().split('\n').at(-1)).toBe('Not in sync: 1 held deletion.');
      for (const m of ['here', 'm1', 'm3']) expect(await box.read(m, 'docs/f1.txt')).toBe('file 1\n');
      expect(await box.exists('m2', 'docs/f1.txt')).toBe(false);
      // Still held: the next plan lists it again.
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).stdout).toMatch(/docs\/f1\.txt/);

      const moved = await runBlat(['apply', '--auto-approve', '--propagate-deletes'], { cwd: box.dir });
      expect(withoutMuxNoise(moved.stderr)).toBe('');
      expect(moved.code).toBe(0);
      for (const m of ['here', 'm1', 'm3']) {
        expect(await box.exists(m, 'docs/f1.txt')).toBe(false);
        const stamps = await readTrashStamps(box, m);
        expect(stamps).toHaveLength(1);
        const trashed = `.blat-trash/${stamps[0]}/docs/f1.txt`;
        expect(await box.read(m, trashed)).toBe('file 1\n');
        expect((await box.stat(m, trashed)).mtimeNs).toBe(1700003001500000000n);
        expect(await box.read(m, 'docs/f2.txt')).toBe('file 2\n');
      }
      expect(await readTrashStamps(box, 'm2')).toEqual([]);
      const after = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(after.stdout).toMatch(/No changes/);
      expect(after.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('refuses deletions that would take more than half of a machine\'s files; --force-deletes goes ahead', async () => {
    const box = await sandbox();
    try {
      await seedSynced(box);
      for (const i of [1, 2, 3, 4]) await box.remove('m1', `docs/f${i}.txt`);
      const before = await readAll(box);

      const refused = await runBlat(['apply', '--auto-approve', '--propagate-deletes'], { cwd: box.dir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refusing to propagate deletions/);
      expect(refused.stderr).toMatch(/here: .*4 of the 6 files/);
      expect(refused.stderr).toMatch(/--force-deletes/);
      expect(await readAll(box)).toEqual(before);
      for (const m of ALL) expect(await readTrashStamps(box, m)).toEqual([]);

      const forced = await runBlat(['apply', '--auto-approve', '--propagate-deletes', '--force-deletes'], { cwd: box.dir });
      expect(forced.code).toBe(0);
      for (const m of ['here', 'm2', 'm3']) {
        const stamps = await readTrashStamps(box, m);
        expect(stamps).toHaveLength(1);
        for (const i of [1, 2, 3, 4]) {
          expect(await box.exists(m, `docs/f${i}.txt`)).toBe(false);
          expect(await box.read(m, `.blat-trash/${stamps[0]}/docs/f${i}.txt`)).toBe(`file ${i}\n`);
        }
        expect(await box.read(m, 'docs/f5.txt')).toBe('file 5\n');
      }
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply --json', () => {
  it('prints one JSON object per line: the plan, each step, the summary', async () => {
    const box = await sandbox();
    try {
      await seedPushes(box);
      const r = await runBlat(['apply', '--auto-approve', '--json'], { cwd: box.dir });
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      const events = lines.map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
      expect(events[0].event).toBe('plan');
      // docs/ made on m1 and m3 (m2 has it), three files to three machines.
      expect((events[0].plan as { steps: unknown[] }).steps).toHaveLength(11);
      const steps = events.filter((e) => e.event === 'step');
      expect(steps.every((s) => s.status === 'done' && s.action === 'push' && s.from === 'here')).toBe(true);
      expect(steps.map((s) => `${s.path} ${s.to}`).sort()).toEqual(
        ['docs m1', 'docs m3', ...['docs/a.txt', 'docs/b.txt', 'docs/c.txt'].flatMap((p) => SSH.map((m) => `${p} ${m}`))].sort(),
      );
      expect(events[events.length - 1]).toEqual({ event: 'summary', done: 11, failed: 0, stale: 0, deferred: 0, conflicts: 0, files: 9, bytes: 108, elapsedMs: expect.any(Number), remaining: [], exitCode: 0 });
      expect(events.map((e) => e.event)).toEqual(['plan', ...steps.map(() => 'step'), 'summary']);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply: deletions, more', () => {
  it('moves hostile names and emptied folders to trash over ssh', async () => {
    const box = await sandbox();
    const pwned = `/tmp/blat-pwned-${randomTag()}`;
    try {
      const names = ['docs/gone/new\nline', `docs/gone/it's "q"`, `docs/gone/$(touch ${pwned})`, 'docs/gone/-rf', 'docs/keep.txt', 'docs/keep2.txt', 'docs/keep3.txt', 'docs/keep4.txt', 'docs/keep5.txt'];
      for (const [i, p] of names.entries()) await box.write('here', p, `n${i}\n`, `17000040${i}0.5`);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      await box.remove('m3', 'docs/gone');

      const r = await runBlat(['apply', '--auto-approve', '--propagate-deletes'], { cwd: box.dir });
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ['here', 'm1', 'm2']) {
        expect(await box.exists(m, 'docs/gone'), m).toBe(false);
        const [stamp] = await readTrashStamps(box, m);
        for (const [i, p] of names.slice(0, 4).entries()) expect(await box.read(m, `.blat-trash/${stamp}/${p}`)).toBe(`n${i}\n`);
        expect(await box.read(m, 'docs/keep.txt')).toBe('n4\n');
      }
      expect(existsSync(pwned)).toBe(false);
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
    } finally {
      await box.cleanup();
    }
  });

  it('applies the mass-deletion guard to a saved plan too', async () => {
    const box = await sandbox();
    try {
      await seedSynced(box);
      for (const i of [1, 2, 3, 4, 5]) await box.remove('m1', `docs/f${i}.txt`);
      expect((await runBlat(['plan', '--propagate-deletes', '--out', 'plan.json'], { cwd: box.dir })).code).toBe(0);
      const before = await readAll(box);

      const refused = await runBlat(['apply', 'plan.json'], { cwd: box.dir });
      expect(refused.stderr).toMatch(/refusing to propagate deletions/);
      expect(refused.stderr).toMatch(/m2: .*5 of the 6 files/);
      expect(refused.code).toBe(1);
      expect(await readAll(box)).toEqual(before);

      const forced = await runBlat(['apply', 'plan.json', '--force-deletes'], { cwd: box.dir });
      expect(forced.code).toBe(0);
      for (const m of ['here', 'm2', 'm3']) {
        expect(await box.exists(m, 'docs/f1.txt')).toBe(false);
        expect(await box.read(m, 'docs/f6.txt')).toBe('file 6\n');
      }
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply: partial failures', () => {
  it('fails only the file rsync could not read; the rest of its batch is pulled and pushed', async () => {
    const box = await sandbox();
    try {
      await box.write('m1', 'docs/good.txt', 'good\n', '1700005000.25');
      await box.write('m1', 'docs/other.txt', 'other\n', '1700005001.25');
      await box.write('m1', 'docs/secret.txt', 'secret\n', '1700005002.25');
      // Unreadable for the ssh login user that runs m1's rsync.
      await chmod(join(box.root('m1'), 'docs', 'secret.txt'), 0);

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/failed pull docs\/secret\.txt m1 → here: rsync m1 → here: .*Permission denied/);
      expect(r.stdout).toMatch(/Apply finished: [^;]*; \d+ done, 3 failed, 0 stale, 0 deferred\./);
      for (const m of ['here', 'm2', 'm3']) {
        expect(await box.read(m, 'docs/good.txt'), m).toBe('good\n');
        expect((await box.stat(m, 'docs/other.txt')).mtimeNs, m).toBe(1700005001250000000n);
        expect(await box.exists(m, 'docs/secret.txt'), m).toBe(false);
      }
      const owed = JSON.parse((await runBlat(['journal', '--json'], { cwd: box.dir })).stdout) as { owed: { path: string; machine: string }[] };
      expect(owed.owed.map((o) => `${o.path} ${o.machine}`).sort()).toEqual(['docs/secret.txt here', 'docs/secret.txt m2', 'docs/secret.txt m3']);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply PATH', () => {
  it('narrows the run to the paths given, leaving the others for later', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/one/a.txt', 'a\n', '1700006000.5');
      await box.write('here', 'docs/two/b.txt', 'b\n', '1700006001.5');
      const r = await runBlat(['apply', '--auto-approve', '-c', box.configFile, 'docs/one'], { cwd: box.root('here') });
      expect(r.code).toBe(0);
      for (const m of SSH) {
        expect(await box.read(m, 'docs/one/a.txt')).toBe('a\n');
        expect(await box.exists(m, 'docs/two')).toBe(false);
      }
      const rest = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(rest.code).toBe(2);
      expect(rest.stdout).toMatch(/docs\/two\/b\.txt/);
      expect(rest.stdout).not.toMatch(/docs\/one\/a\.txt/);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply: a folder that is a symlink on one machine', () => {
  it('leaves the link and what it points to alone and reports the paths under it (for every machine) as conflicts', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/sub/a.txt', 'a\n', '1700007000.5');
      await box.write('here', 'docs/top.txt', 't\n', '1700007001.5');
      // On m2, docs/sub is a link to a folder outside the root, holding a file of its own.
      await box.write('m2', 'elsewhere/mine.txt', 'mine\n', '1700000000');
      await box.symlink('m2', 'docs/sub', '../elsewhere');

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.stdout).toMatch(/docs\/sub is a symlink on m2, not a folder/);
      // Those conflicts remain: exit 2.
      expect(r.code).toBe(2);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Not in sync: \d+ conflicts?\.$/);
      // The rest is synced; the paths under the link wait, on every machine, until it is sorted out.
      for (const m of SSH) expect(await box.read(m, 'docs/top.txt'), m).toBe('t\n');
      for (const m of ['m1', 'm3']) expect(await box.exists(m, 'docs/sub/a.txt'), m).toBe(false);
      // The link is still a link, to the same place, and nothing was written through it.
      expect((await lstat(join(box.root('m2'), 'docs', 'sub'))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(box.root('m2'), 'docs', 'sub'))).toBe('../elsewhere');
      expect((await readdir(join(box.root('m2'), 'elsewhere'))).sort()).toEqual(['mine.txt']);
      const plan = await runBlat(['plan', '--json'], { cwd: box.dir });
      const doc = JSON.parse(plan.stdout) as { steps: unknown[]; conflicts: { path: string }[] };
      expect(doc.steps).toEqual([]);
      expect(doc.conflicts.map((c) => c.path)).toEqual(['docs/sub', 'docs/sub/a.txt']);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('blat apply: folders new on a receiver go whole', () => {
  /** A folder of `n` files (hostile names among them) and a nested one, only on `machine`. */
  async function seedFolder(box: Sandbox, machine: string, folder: string, n: number, pwned: string): Promise<string[]> {
    const paths: string[] = [];
    await box.mkdir(machine, folder, '1700002000.5');
    for (let i = 0; i < n; i++) {
      const name = i === 0 ? `$(touch ${pwned})` : i === 1 ? '-rf' : i === 2 ? 'new\nline' : i === 3 ? `it's "q"` : `f ${i}.txt`;
      const path = `${folder}/${i % 2 ? 'sub/' : ''}${name}`;
      await box.write(machine, path, `${folder} ${i}\n`, `17000020${String(i).padStart(2, '0')}.123456789`);
      paths.push(path);
    }
    await box.write(machine, `${folder}/sub/skip.tmp`, 'excluded\n', 1700002999);
    return paths;
  }

  it.each([
    ['a plain recursive rsync', '*.tmp', /^(?!.*--files-from).* --exclude=\*\.tmp /],
    // A pattern with a "/" matches from the sync path (rsync's rules, the sync path the transfer's root): from the root it is anchored there.
    ['one rsync of the list, when an exclude has a "/"', 'new/sub/*.tmp', / --files-from=- .* -r --exclude=\/docs\/new\/sub\/\*\.tmp --exclude=\/docs\/\*\*\/new\/sub\/\*\.tmp /],
  ])('sends a new folder with everything under it in one rsync per receiver (%s), excludes left out, nothing staged left', async (_how, exclude, shape) => {
    const box = await sandbox();
    const pwned = `/tmp/blat-pwned-${randomTag()}`;
    try {
      await box.writeConfig({ exclude: [exclude] });
      const paths = await seedFolder(box, 'here', 'docs/new', 80, pwned);
      const spy = await makeToolSpy();
      const r = await runBlat(['apply', '--auto-approve', '--json'], { cwd: box.dir, timeoutMs: 60_000, env: spy.env });
      const rsyncs = await spy.transfers();
      await spy.cleanup();
      // One recursive rsync per receiver, excludes passed on; no rsync path by path.
      expect(rsyncs).toHaveLength(3);
      for (const call of rsyncs) expect(call).toMatch(shape);
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; plan?: { steps: { to: string; path: string }[] } });
      const steps = lines[0].plan!.steps;
      // Everything under docs (and docs itself, new on the receivers) but the excluded file, to each receiver.
      const perReceiver = steps.filter((s) => s.to === 'm1').map((s) => s.path);
      expect(perReceiver).toEqual(expect.arrayContaining(paths));
      expect(perReceiver).not.toContain('docs/new/sub/skip.tmp');
      expect(lines.at(-1)).toMatchObject({ event: 'summary', done: perReceiver.length * 3, failed: 0, stale: 0 });
      const reference = await readHeld(box, 'here');
      for (const m of SSH) {
        const mine = await readHeld(box, m);
        for (const p of paths) expect(mine.get(p), `${m}: ${JSON.stringify(p)}`).toEqual(reference.get(p));
        expect(mine.has('docs/new/sub/skip.tmp')).toBe(false);
        // The staging folder is gone; the temp folder is empty.
        expect(await readdir(join(box.root(m), '.blat-tmp'))).toEqual([]);
      }
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
      expect(existsSync(pwned)).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('sends a new folder with a hostile name whole, exactly, running nothing', async () => {
    const box = await sandbox();
    const tag = randomTag();
    const pwned = `/tmp/blat-pwned-${tag}`;
    const folder = `docs/-rf $(touch blat-pwned-${tag}) it's`;
    try {
      for (const m of ALL) await box.mkdir(m, 'docs', 1700001000);
      const paths = await seedFolder(box, 'here', folder, 70, pwned);
      const spy = await makeToolSpy();
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000, env: spy.env });
      const rsyncs = await spy.transfers();
      await spy.cleanup();
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      expect(rsyncs.filter((c) => !c.includes('--files-from'))).toHaveLength(3);
      const reference = await readHeld(box, 'here');
      for (const m of SSH) {
        const mine = await readHeld(box, m);
        for (const p of paths) expect(mine.get(p), `${m}: ${JSON.stringify(p)}`).toEqual(reference.get(p));
        expect(existsSync(join(box.root(m), `blat-pwned-${tag}`))).toBe(false);
      }
      expect(existsSync(pwned)).toBe(false);
      expect(existsSync(join(box.dir, `blat-pwned-${tag}`))).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('pulls folders new here from two machines at once: whole where nothing else makes the parent', async () => {
    const box = await sandbox();
    const pwned = `/tmp/blat-pwned-${randomTag()}`;
    try {
      const fromM1 = await seedFolder(box, 'm1', 'docs/a', 70, pwned);
      const fromM2 = await seedFolder(box, 'm2', 'docs/b', 70, pwned);
      const spy = await makeToolSpy();
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, timeoutMs: 60_000, env: spy.env });
      const rsyncs = await spy.transfers();
      await spy.cleanup();
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      // docs (with docs/a) pulled whole from m1; docs/b, whose parent that pull creates here, and the
      // pushes of what was pulled go path by path.
      expect(rsyncs.filter((c) => !c.includes('--files-from'))).toHaveLength(1);
      const here = await readHeld(box, 'here');
      for (const [m, p] of [['m1', fromM1], ['m2', fromM2]] as const) {
        const theirs = await readHeld(box, m);
        for (const path of p) expect(here.get(path), JSON.stringify(path)).toEqual(theirs.get(path));
      }
      for (const m of SSH) {
        const mine = await readHeld(box, m);
        for (const path of [...fromM1, ...fromM2]) expect(mine.get(path), `${m}: ${JSON.stringify(path)}`).toEqual(here.get(path));
      }
      expect(await readdir(join(box.root('here'), '.blat-tmp'))).toEqual([]);
      expect(existsSync(pwned)).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('pulls from two machines one after another when each replaces a version here: their rsyncs would race to make the trash folders', async () => {
    const box = await sandbox();
    const bin = await mkdtemp(join(tmpdir(), 'blat-rsync-log-'));
    try {
      for (const m of ALL) for (const f of ['a', 'b']) await box.write(m, `docs/x/${f}.txt`, `old ${f}\n`, 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      await box.write('m1', 'docs/x/a.txt', 'a from m1\n', 1700000100);
      await box.write('m2', 'docs/x/b.txt', 'b from m2\n', 1700000100);
      // Each rsync blat starts, its start and end logged, held long enough to overlap another one.
      const log = join(bin, 'log');
      const real = (await runProcess('/bin/sh', ['-c', 'command -v rsync'])).stdout.trim();
      await writeFile(join(bin, 'rsync'), `#!/bin/sh\necho "start $$" >> ${quoteShell(log)}\nsleep 0.5\n${quoteShell(real)} "$@"; st=$?\necho "end $$" >> ${quoteShell(log)}\nexit $st\n`, { mode: 0o755 });
      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // The pulls come first (no push starts before them): the second starts once the first has ended.
      const events = (await readFile(log, 'utf8')).trim().split('\n');
      expect(events.slice(0, 4).map((e) => e.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);
      for (const m of ALL) expect([await box.read(m, 'docs/x/a.txt'), await box.read(m, 'docs/x/b.txt')], m).toEqual(['a from m1\n', 'b from m2\n']);
      const runs = await readdir(join(box.root('here'), '.blat-trash'));
      expect(runs).toHaveLength(1);
      expect((await readdir(join(box.root('here'), '.blat-trash', runs[0], 'docs', 'x'))).sort()).toEqual(['a.txt', 'b.txt']);
    } finally {
      await rm(bin, { recursive: true, force: true });
      await box.cleanup();
    }
  });

  it('goes path by path when the source changed since the plan (the changed file is stale; what was sent whole before the precheck is dropped), and never over a folder that appeared', async () => {
    const box = await sandbox();
    const pwned = `/tmp/blat-pwned-${randomTag()}`;
    try {
      await seedFolder(box, 'here', 'docs/new', 80, pwned);
      const planned = await runBlat(['plan', '--out', 'plan.json'], { cwd: box.dir });
      expect(planned.code).toBe(0);
      // After the plan: a file under the new folder changes here, and m2 gets a folder of its own there.
      await box.write('here', 'docs/new/f 10.txt', 'edited after the plan\n', 1700009999);
      await box.write('m2', 'docs/new/mine.txt', 'made on m2 meanwhile\n', 1700008888);
      const spy = await makeToolSpy();
      const r = await runBlat(['apply', 'plan.json', '--json'], { cwd: box.dir, timeoutMs: 60_000, env: spy.env });
      const rsyncs = await spy.transfers();
      await spy.cleanup();
      expect(r.code).toBe(2);
      // The folder began going whole to each receiver (locked) before the precheck; the precheck kept none of it.
      expect(rsyncs.filter((c) => !c.includes('--files-from'))).toHaveLength(3);
      for (const m of SSH) expect(await readdir(join(box.root(m), '.blat-tmp')), m).toEqual([]);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; status?: string; path?: string; to?: string });
      const stale = events.filter((e) => e.event === 'step' && e.status === 'stale');
      // The edited file, for every receiver; everything for m2, where the folder now exists.
      expect(stale.filter((e) => e.to !== 'm2').map((e) => `${e.to} ${e.path}`).sort()).toEqual(['m1 docs/new/f 10.txt', 'm3 docs/new/f 10.txt']);
      const saved = JSON.parse(await readFile(join(box.dir, 'plan.json'), 'utf8')) as { steps: { to: string }[] };
      expect(stale.filter((e) => e.to === 'm2')).toHaveLength(saved.steps.filter((s) => s.to === 'm2').length);
      expect(saved.steps.filter((s) => s.to === 'm2').length).toBeGreaterThan(80);
      expect(await box.read('m2', 'docs/new/mine.txt')).toBe('made on m2 meanwhile\n');
      expect(await box.exists('m2', 'docs/new/f 4.txt')).toBe(false);
      for (const m of ['m1', 'm3']) {
        expect(await box.read(m, 'docs/new/f 4.txt')).toBe('docs/new 4\n');
        expect(await box.exists(m, 'docs/new/f 10.txt')).toBe(false);
      }
      expect(existsSync(pwned)).toBe(false);
    } finally {
      await box.cleanup();
    }
  });
});
