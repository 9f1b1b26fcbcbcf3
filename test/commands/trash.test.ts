// End to end: every version apply replaces is kept in its machine's trash; `blat trash`.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { expectOneError, startBlatInBackground, useDocsMachines, waitFor, withoutMuxNoise } from './support.js';

const machines = useDocsMachines(['m1', 'm2', 'm3']);

/** Every version kept under `.blat-trash/RUN/` on a machine: RUN/PATH → content. */
async function readKept(box: Sandbox, machine: string): Promise<Map<string, string>> {
  const trash = join(box.root(machine), '.blat-trash');
  const kept = new Map<string, string>();
  const names = await readdir(trash, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const d of names) {
    if (!d.isFile()) continue;
    const full = join(d.parentPath, d.name);
    kept.set(full.slice(trash.length + 1), await readFile(full, 'utf8'));
  }
  return kept;
}

/** The contents kept for `path` on a machine, whatever the run. */
async function keptVersions(box: Sandbox, machine: string, path: string): Promise<string[]> {
  return [...(await readKept(box, machine))].filter(([k]) => k.replace(/^[^/]+\//, '') === path).map(([, v]) => v);
}

const apply = (box: Sandbox, ...args: string[]) => runBlat(['apply', '--auto-approve', ...args], { cwd: box.dir, timeoutMs: 60_000 });

describe.concurrent('apply keeps what it replaces', () => {
  it('a push over a stale copy keeps the old one in the target’s trash, a pull over self’s copy keeps self’s', async () => {
    const box = await machines.sandbox();
    try {
      await box.write('here', 'docs/pushed.txt', 'new here\n', '1700000900');
      await box.write('m1', 'docs/pushed.txt', 'old on m1\n', '1700000100');
      await box.write('m1', 'docs/pulled.txt', 'new on m1\n', '1700000900');
      await box.write('here', 'docs/pulled.txt', 'old here\n', '1700000100');
      await box.write('m2', 'docs/pulled.txt', 'old on m2\n', '1700000100');
      const r = await apply(box);
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      expect(await box.read('m1', 'docs/pushed.txt')).toBe('new here\n');
      expect(await keptVersions(box, 'm1', 'docs/pushed.txt')).toEqual(['old on m1\n']);
      expect(await box.read('here', 'docs/pulled.txt')).toBe('new on m1\n');
      expect(await keptVersions(box, 'here', 'docs/pulled.txt')).toEqual(['old here\n']);
      expect(await keptVersions(box, 'm2', 'docs/pulled.txt')).toEqual(['old on m2\n']);
      // One run per apply, the same on every machine; copies made where nothing was are not "kept".
      const runs = new Set<string>();
      for (const m of ['here', 'm1', 'm2']) for (const k of (await readKept(box, m)).keys()) runs.add(k.split('/')[0]);
      expect(runs.size).toBe(1);
      expect(await readKept(box, 'm3')).toEqual(new Map());
    } finally {
      await box.cleanup();
    }
  });

  it('apply --prefer m3 after m2 and m3 both edited keeps m2’s edit in m2’s trash', async () => {
    const box = await machines.sandbox();
    try {
      for (const m of ['here', 'm1', 'm2', 'm3']) await box.write(m, 'docs/a.txt', 'synced\n', '1700000000');
      expect((await apply(box)).code).toBe(0);
      await box.write('m2', 'docs/a.txt', 'edit on m2\n', '1700000500');
      await box.write('m3', 'docs/a.txt', 'edit on m3, older\n', '1700000300');
      const plan = await runBlat(['plan'], { cwd: box.dir });
      expect(plan.stdout).toMatch(/Conflicts \(1\)/);
      const r = await apply(box, '--prefer', 'm3');
      expect(withoutMuxNoise(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      for (const m of ['here', 'm1', 'm2', 'm3']) expect(await box.read(m, 'docs/a.txt'), m).toBe('edit on m3, older\n');
      expect(await keptVersions(box, 'm2', 'docs/a.txt')).toEqual(['edit on m2\n']);
      expect(await keptVersions(box, 'here', 'docs/a.txt')).toEqual(['synced\n']);
      expect(await keptVersions(box, 'm3', 'docs/a.txt')).toEqual([]);
    } finally {
      await box.cleanup();
    }
  });

  it('a file saved on self while a pull writes it ends back in place, the step stale, exit 2', async () => {
    const box = await machines.sandbox();
    try {
      const size = 1_500_000;
      await box.write('m1', 'docs/big.bin', randomBytes(size), '1700000900');
      await box.write('here', 'docs/big.bin', 'old here\n', '1700000000');
      // 1,000 KiB/s to and from m1: the transfer takes about 1.5 s, long enough to save the file meanwhile.
      await box.writeConfig({ machines: { m1: { bwlimit: 1000 } } });
      // Probe the roots first (once, kept in state.json): the probe's folder in .blat-tmp is not the transfer's file.
      expect((await runBlat(['plan'], { cwd: box.dir })).code).toBe(0);
      const run = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      try {
        // rsync writes its temporary file once it has decided to replace the path.
        const temp = join(box.root('here'), '.blat-tmp');
        await waitFor('the pull’s temporary file', async () => ((await readdir(temp).catch(() => [])).length > 0 ? true : undefined), 20_000);
        await writeFile(join(box.root('here'), 'docs/big.bin'), 'saved by the user during the pull\n');
        const ended = await run.ended;
        expect(ended.stdout).toMatch(/changed on here during the transfer; kept/);
        expect(ended.code).toBe(2);
      } finally {
        run.killGroup();
      }
      expect(await box.read('here', 'docs/big.bin')).toBe('saved by the user during the pull\n');
      // The save went into the file rsync then replaced: rsync kept it, blat put it back and kept the transferred copy.
      expect(await keptVersions(box, 'here', 'docs/big.bin')).toEqual([await readFile(join(box.root('m1'), 'docs/big.bin'), 'utf8')]);
      // The next plan sees the save as the change it is: made on here's old copy while m1 held a
      // newer one, it is a conflict (never silently pushed over m1's version, nor lost to it).
      const plan = JSON.parse((await runBlat(['plan', '--json'], { cwd: box.dir })).stdout) as {
        steps: { path: string }[];
        conflicts: { path: string; versions: { machines: string[]; changed: boolean }[] }[];
      };
      expect(plan.steps.filter((s) => s.path === 'docs/big.bin')).toEqual([]);
      const conflict = plan.conflicts.find((c) => c.path === 'docs/big.bin');
      expect(conflict?.versions.find((v) => v.machines.includes('here'))?.changed).toBe(true);
    } finally {
      await box.cleanup();
    }
  });
});

describe.concurrent('apply keeps what it replaces, more', () => {
  it('a file saved on a target over ssh while a push writes it ends back in place; a type change keeps the old type', async () => {
    const box = await machines.sandbox();
    try {
      const size = 1_500_000;
      await box.write('here', 'docs/big.bin', randomBytes(size), '1700000900');
      await box.write('m1', 'docs/big.bin', 'old on m1\n', '1700000000');
      await box.symlink('here', 'docs/was-a-file', 'big.bin', '1700000900');
      await box.write('m2', 'docs/was-a-file', 'a file on m2\n', '1700000000');
      await box.writeConfig({ machines: { m1: { bwlimit: 1000 } } });
      // Probe the roots first (once, kept in state.json): the probe's folder in .blat-tmp is not the transfer's file.
      expect((await runBlat(['plan'], { cwd: box.dir })).code).toBe(0);
      const run = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      try {
        const temp = join(box.root('m1'), '.blat-tmp');
        await waitFor('the push’s temporary file on m1', async () => ((await readdir(temp).catch(() => [])).length > 0 ? true : undefined), 20_000);
        await writeFile(join(box.root('m1'), 'docs/big.bin'), 'saved on m1 during the push\n');
        const ended = await run.ended;
        expect(ended.stdout).toMatch(/changed on m1 during the transfer; kept/);
        expect(ended.code).toBe(2);
      } finally {
        run.killGroup();
      }
      expect(await box.read('m1', 'docs/big.bin')).toBe('saved on m1 during the push\n');
      expect(await keptVersions(box, 'm1', 'docs/big.bin')).toEqual([await readFile(join(box.root('here'), 'docs/big.bin'), 'utf8')]);
      // The other pushes were done, and what they replaced kept.
      expect(await box.read('m2', 'docs/big.bin')).toBe(await box.read('here', 'docs/big.bin'));
      expect((await box.stat('m2', 'docs/was-a-file')).type).toBe('symlink');
      expect(await keptVersions(box, 'm2', 'docs/was-a-file')).toEqual(['a file on m2\n']);
    } finally {
      await box.cleanup();
    }
  });
});

describe('blat trash', () => {
  const OLD_RUN = '2020-01-01T00-00-00-000Z';
  const HOSTILE = `docs/it's $(touch pwned) a.txt`;

  it('lists what each machine keeps; restore puts a version back (the next plan sees the change); prune and apply remove old runs', async () => {
    const box = await machines.sandbox();
    try {
      await box.write('here', HOSTILE, 'newest, from here\n', '1700000900');
      await box.write('m1', HOSTILE, 'older, on m1\n', '1700000100');
      await box.write('m2', 'docs/b.txt', 'b\n', '1700000100');
      expect((await apply(box)).code).toBe(0);

      const listed = await runBlat(['trash', '--json'], { cwd: box.dir });
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      const doc = JSON.parse(listed.stdout) as { machines: { name: string; listed: boolean }[]; kept: { machine: string; run: string; time: string; path: string; size: number }[] };
      expect(doc.machines.map((m) => [m.name, m.listed])).toEqual([['m1', true], ['m2', true], ['m3', true], ['here', true]]);
      expect(doc.kept.map((k) => [k.machine, k.path, k.size])).toEqual([['m1', HOSTILE, 'older, on m1\n'.length]]);
      expect(Date.parse(doc.kept[0].time)).toBeGreaterThan(Date.now() - 120_000);
      const text = await runBlat(['trash'], { cwd: box.dir });
      expect(text.stdout).toContain(`m1      │ ${doc.kept[0].run}`);
      expect(text.stdout).toContain(HOSTILE);
      expect(text.stdout).toMatch(/1 version kept on 1 machine \(13 B\)\./);

      // Restore m1's kept version: what m1 holds now goes to its trash; the next plan takes m1's as changed.
      const restored = await runBlat(['trash', 'restore', HOSTILE, '--machine', 'm1'], { cwd: box.dir });
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect(await box.read('m1', HOSTILE)).toBe('older, on m1\n');
      expect(await keptVersions(box, 'm1', HOSTILE)).toEqual(['newest, from here\n']);
      // Older than what the others hold, it is a conflict there, m1's version marked changed; --prefer m1 takes it.
      const plan = JSON.parse((await runBlat(['plan', '--json'], { cwd: box.dir })).stdout) as { conflicts: { path: string; versions: { machines: string[]; changed: boolean }[] }[] };
      expect(plan.conflicts.map((c) => [c.path, c.versions.filter((v) => v.changed).map((v) => v.machines)])).toEqual([[HOSTILE, [['m1']]]]);
      expect((await apply(box, '--prefer', 'm1')).code).toBe(0);
      for (const m of ['here', 'm1', 'm2', 'm3']) expect(await box.read(m, HOSTILE), m).toBe('older, on m1\n');
      // The loser was kept everywhere it was replaced, here and on m2 and m3 (which held here's).
      for (const m of ['here', 'm2', 'm3']) expect(await keptVersions(box, m, HOSTILE), m).toEqual(['newest, from here\n']);
      const none = await runBlat(['trash', 'restore', 'docs/b.txt', '--machine', 'm3'], { cwd: box.dir });
      expect(none.code).toBe(1);
      expect(none.stderr).toBe("blat: docs/b.txt: no version of it is kept in m3's trash (see blat trash)\n");
      expect(await box.exists('m3', 'docs/b.txt')).toBe(true);
      expect(await box.exists('m1', 'pwned')).toBe(false);

      // Runs older than trash.keepDays (30) go: by prune everywhere, and by apply where it writes.
      for (const m of ['here', 'm2', 'm3']) await box.write(m, `.blat-trash/${OLD_RUN}/docs/old.txt`, 'long ago\n');
      const pruned = await runBlat(['trash', 'prune'], { cwd: box.dir });
      expect(pruned.code).toBe(0);
      expect(pruned.stdout).toContain(`m2: 1 run older than 30 days removed (${OLD_RUN})`);
      expect(pruned.stdout).toContain('m1: no run older than 30 days removed');
      for (const m of ['here', 'm2', 'm3']) expect(await box.exists(m, `.blat-trash/${OLD_RUN}`), m).toBe(false);
      expect(await keptVersions(box, 'm1', HOSTILE)).toEqual(['newest, from here\n']);

      await box.write('m2', `.blat-trash/${OLD_RUN}/docs/old.txt`, 'long ago\n');
      await box.write('m3', `.blat-trash/${OLD_RUN}/docs/old.txt`, 'long ago\n');
      await box.write('here', 'docs/b.txt', 'b, newer\n', '1700000500');
      await box.write('m3', 'docs/b.txt', 'b, newer\n', '1700000500');
      // Only m1 and m2 are written to: m2's old run goes, m3's stays for blat trash prune.
      const later = await apply(box);
      expect(withoutMuxNoise(later.stderr)).toBe('');
      expect(later.code).toBe(0);
      expect(await box.exists('m2', `.blat-trash/${OLD_RUN}`)).toBe(false);
      expect(await box.exists('m3', `.blat-trash/${OLD_RUN}`)).toBe(true);
    } finally {
      await box.cleanup();
    }
  });

  it('refuses bad restore arguments with one line, exit 1, changing nothing', async () => {
    const box = await machines.sandbox();
    try {
      await box.write('m1', '.blat-trash/2024-05-01T12-00-00-000Z/docs/a.txt', 'kept\n');
      const before = await readKept(box, 'm1');
      const restore = (...args: string[]) => runBlat(['trash', 'restore', ...args], { cwd: box.dir });
      expectOneError(await restore('docs/a.txt'), 'blat: trash restore: --machine MACHINE is required (the machine whose trash holds the version)');
      expectOneError(await restore('../etc/passwd', '--machine', 'm1'), /^blat: \.\.\/etc\/passwd: not a path under the sync paths \(docs\)/);
      expectOneError(await restore('other/a.txt', '--machine', 'm1'), /^blat: other\/a\.txt: not a path under the sync paths/);
      expectOneError(await restore('docs/a.txt', '--machine', 'nosuch'), 'blat: --machine "nosuch": not a machine in use (m1, m2, m3, here)');
      expectOneError(await restore('docs/a.txt', '--machine', 'm1', '--run', '../x'), 'blat: --run "../x": not a trash run name (like 2024-05-01T12-00-00-000Z)');
      expect(await readKept(box, 'm1')).toEqual(before);
      expect(await box.exists('m1', 'docs/a.txt')).toBe(false);
    } finally {
      await box.cleanup();
    }
  });

  it('says which machine it could not list, exit 2, and lists the others', async () => {
    const box = await machines.sandbox();
    try {
      await box.write('m1', '.blat-trash/2024-05-01T12-00-00-000Z/docs/a.txt', 'kept\n');
      await machines.sshd.setOffline('m3', true);
      const r = await runBlat(['trash'], { cwd: box.dir });
      expect(r.code).toBe(2);
      expect(r.stdout.split('\n')[0]).toMatch(/^m3: not listed \(unreachable: .+\)$/);
      expect(r.stdout).toMatch(/│ m1 +│ 2024-05-01T12-00-00-000Z +│ .+ │ docs\/a\.txt +│ 5 B +│/);
    } finally {
      await machines.sshd.setOffline('m3', false);
      await box.cleanup();
    }
  });
});
