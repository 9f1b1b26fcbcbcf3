// End to end: `blat apply --resume` finishing what a machine offline or a killed apply left owed.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { writeMtime } from '../helpers/tree.js';
import { endRsyncUnder, useDocsMachines, readHeld, readOwed, readSha256, startBlatInBackground, waitFor, withoutMuxNoise, writeRandomFile } from './support.js';

const SSH = ['m1', 'm2', 'm3'];
const ALL = ['here', ...SSH];
const machines = useDocsMachines(SSH);
const sandbox = machines.sandbox;

/** Files and symlinks of every machine equal to here's, bytes and exact mtime. */
async function expectAllLike(box: Sandbox, machines: readonly string[]): Promise<void> {
  const reference = await readHeld(box, 'here');
  for (const m of machines) {
    const mine = await readHeld(box, m);
    expect([...mine.keys()].sort(), m).toEqual([...reference.keys()].sort());
    for (const [path, h] of reference) if (h.type !== 'dir') expect(mine.get(path), `${m}: ${path}`).toEqual(h);
  }
}

describe('blat apply --resume: a machine offline', () => {
  it('defers what m3 cannot get (exit 2), lists it in the journal, and finishes it once m3 answers', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', '1700000000.123456789');
      await box.write('m1', 'docs/sub dir/b.txt', 'b from m1\n', '1700000100.5');
      await box.symlink('m2', 'docs/link', 'a.txt', '1700000200.25');
      await machines.sshd.setOffline('m3', true);

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/m3 +offline \(refused\)/);
      expect(r.stdout).toMatch(/Apply finished: [^;]*; \d+ done, 0 failed, 0 stale, 5 deferred\./);
      await expectAllLike(box, ['m1', 'm2']);
      expect(await readdir(box.root('m3'))).toEqual([]);

      const owed = await readOwed(box);
      expect(owed.map((o) => `${o.machine} ${o.kind} ${o.path}`).sort()).toEqual(
        ['docs', 'docs/a.txt', 'docs/link', 'docs/sub dir', 'docs/sub dir/b.txt'].map((p) => `m3 deferred ${p}`).sort(),
      );
      const text = await runBlat(['journal'], { cwd: box.dir });
      expect(text.stdout).toMatch(/^m3: 5 owed$/m);
      expect(text.stdout).toMatch(/deferred docs\/sub dir\/b\.txt/);

      // Still offline: resume keeps it owed.
      const early = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(early.code).toBe(2);
      expect(await readOwed(box)).toHaveLength(5);

      await machines.sshd.setOffline('m3', false);
      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(withoutMuxNoise(resumed.stderr)).toBe('');
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/Resuming 5 owed items on 1 machine/);
      await expectAllLike(box, SSH);
      expect(await readOwed(box)).toEqual([]);
      expect((await runBlat(['journal'], { cwd: box.dir })).stdout).toBe('Nothing is owed: every apply finished.\n');
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
      expect(plan.code).toBe(0);
      expect((await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir })).stdout).toBe('Nothing is owed: every apply finished.\n');
    } finally {
      await machines.sshd.setOffline('m3', false);
      await box.cleanup();
    }
  });

  it('gives a machine that was offline the newest version, not the one it was owed', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'version 1\n', '1700000000.5');
      await machines.sshd.setOffline('m3', true);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(2);
      // While m3 is away, m1 edits a.txt.
      await box.write('m1', 'docs/a.txt', 'version 2, edited on m1\n', '1700000900.75');
      await machines.sshd.setOffline('m3', false);

      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(resumed.code).toBe(0);
      for (const m of ALL) {
        expect(await box.read(m, 'docs/a.txt'), m).toBe('version 2, edited on m1\n');
        expect((await box.stat(m, 'docs/a.txt')).mtimeNs, m).toBe(1700000900750000000n);
      }
      expect(await readOwed(box)).toEqual([]);
    } finally {
      await machines.sshd.setOffline('m3', false);
      await box.cleanup();
    }
  });
});

describe('blat apply --resume: more', () => {
  it('prints only JSON lines with --json: the resume, the plan, each step, the summary', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', '1700000000.5');
      await machines.sshd.setOffline('m3', true);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(2);
      await machines.sshd.setOffline('m3', false);

      const r = await runBlat(['apply', '--resume', '--auto-approve', '--json'], { cwd: box.dir });
      expect(r.code).toBe(0);
      const events = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
      expect(events[0]).toEqual({ event: 'resume', owed: 2, machines: ['m3'] });
      expect(events.map((e) => e.event)).toEqual(['resume', 'plan', 'step', 'step', 'summary']);
      expect(events.at(-1)).toMatchObject({ event: 'summary', done: 2, failed: 0, exitCode: 0 });

      const none = await runBlat(['apply', '--resume', '--auto-approve', '--json'], { cwd: box.dir });
      expect(none.code).toBe(0);
      expect(none.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))).toEqual([{ event: 'resume', owed: 0, machines: [] }]);
    } finally {
      await machines.sshd.setOffline('m3', false);
      await box.cleanup();
    }
  });

  it('settles what was owed to a machine taken out of the config', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', '1700000000.5');
      await machines.sshd.setOffline('m3', true);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(2);
      expect((await readOwed(box)).map((o) => o.machine)).toEqual(['m3', 'm3']);
      await box.writeConfig({ machines: { m3: null } });

      const r = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('Nothing is owed: every apply finished.\n');
      expect(await readOwed(box)).toEqual([]);
    } finally {
      await machines.sshd.setOffline('m3', false);
      await box.cleanup();
    }
  });
});

// Transfers are slowed (bwlimit, KiB/s) so that a kill lands midway: 8 MiB take about 2 s per link.
// The resumes that follow run without the limit.
const BIG = 8 * 1024 * 1024;
const SLOW = { machines: { m1: { bwlimit: 4096 }, m2: { bwlimit: 4096 }, m3: { bwlimit: 4096 } } };

/** A docs sandbox whose ssh machines take transfers slowly. */
async function slowSandbox(): Promise<Sandbox> {
  const box = await sandbox();
  await box.writeConfig(SLOW);
  return box;
}

describe('blat apply --resume: a transfer cut midway', () => {
  it('leaves no half file, keeps a readable journal, breaks the dead lock and completes the transfer', async () => {
    const box = await slowSandbox();
    try {
      // m1 holds an old big.bin; here a new 8 MiB one; small.txt goes everywhere too.
      await box.write('m1', 'docs/big.bin', 'the old version\n', '1700000000');
      await box.write('here', 'docs/small.txt', 'small\n', '1700000001.5');
      const big = join(box.root('here'), 'docs', 'big.bin');
      await writeRandomFile(big, BIG);
      await writeMtime(big, '1700000500.123456789');
      const sha = await readSha256(big);

      const run = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      // rsync writes into the root's .blat-tmp/ folder, then renames into place.
      const target = join(box.root('m1'), '.blat-tmp');
      let temp: string;
      try {
        temp = await waitFor('an rsync temporary file in m1/.blat-tmp', async () => {
          const names = await readdir(target).catch(() => [] as string[]);
          return names.find((n) => n.startsWith('big.bin.'));
        });
      } finally {
        run.killGroup();
      }
      const ended = await run.ended;
      expect(ended.signal).toBe('SIGKILL');
      await endRsyncUnder(box.dir);
      expect(temp).toMatch(/^big\.bin\.\w+$/);
      // Nothing half-written beside the real file, where a scan would see it.
      expect((await readdir(join(box.root('m1'), 'docs'))).sort()).toEqual(['big.bin']);

      // The final path holds the old version, never part of the new one; m2 and m3 have none or all of it.
      expect(await box.read('m1', 'docs/big.bin')).toBe('the old version\n');
      expect((await box.stat('m1', 'docs/big.bin')).mtimeNs).toBe(1700000000000000000n);
      for (const m of ['m2', 'm3']) {
        if (await box.exists(m, 'docs/big.bin')) expect(await readSha256(join(box.root(m), 'docs', 'big.bin')), m).toBe(sha);
      }
      // The killed apply's lock is still there.
      expect(existsSync(join(box.dir, '.blat', 'lock'))).toBe(true);

      // The journal is readable and says what is owed to m1.
      const owed = await readOwed(box);
      expect(owed).toContainEqual(expect.objectContaining({ machine: 'm1', path: 'docs/big.bin', kind: 'planned' }));

      // The resume needs no slow link: the config without bwlimit, it runs at full speed.
      await box.writeConfig();
      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir, timeoutMs: 80_000 });
      expect(resumed.stderr).toMatch(new RegExp(`^warning: removed stale lock of pid ${run.pid} `, 'm'));
      expect(resumed.code).toBe(0);
      expect(await readSha256(join(box.root('m1'), 'docs', 'big.bin'))).toBe(sha);
      expect((await box.stat('m1', 'docs/big.bin')).mtimeNs).toBe(1700000500123456789n);
      expect(await readOwed(box)).toEqual([]);
      // Nothing is left behind: no temporary file, and a fresh plan has nothing to do.
      for (const m of SSH) expect((await readdir(join(box.root(m), 'docs'))).sort(), m).toEqual(['big.bin', 'small.txt']);
      const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir, timeoutMs: 80_000 });
      expect(plan.stdout).toMatch(/No changes/);
      expect(plan.code).toBe(0);
    } finally {
      await box.cleanup();
    }
  }, 90_000);
});

describe('blat apply --resume: a pull cut midway', () => {
  it('leaves self\'s final path with its old version, and the resume completes the pull and the pushes', async () => {
    const box = await slowSandbox();
    try {
      await box.write('here', 'docs/big.bin', 'old on here\n', '1700000000');
      await box.mkdir('m1', 'docs');
      const big = join(box.root('m1'), 'docs', 'big.bin');
      await writeRandomFile(big, BIG);
      await writeMtime(big, '1700000600.5');
      const sha = await readSha256(big);

      const run = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      const target = join(box.root('here'), '.blat-tmp');
      try {
        await waitFor('an rsync temporary file in here/.blat-tmp', async () => (await readdir(target).catch(() => [] as string[])).find((n) => n.startsWith('big.bin.')));
      } finally {
        run.killGroup();
      }
      expect((await run.ended).signal).toBe('SIGKILL');
      await endRsyncUnder(box.dir);

      expect(await box.read('here', 'docs/big.bin')).toBe('old on here\n');
      for (const m of ['m2', 'm3']) expect(await box.exists(m, 'docs/big.bin')).toBe(false);
      const owed = await readOwed(box);
      expect(owed).toContainEqual(expect.objectContaining({ machine: 'here', path: 'docs/big.bin', kind: 'planned' }));
      expect(owed).toContainEqual(expect.objectContaining({ machine: 'm2', path: 'docs/big.bin', kind: 'planned' }));

      // The resume needs no slow link: the config without bwlimit, it runs at full speed.
      await box.writeConfig();
      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir, timeoutMs: 80_000 });
      expect(resumed.stderr).toMatch(new RegExp(`^warning: removed stale lock of pid ${run.pid} `, 'm'));
      expect(resumed.code).toBe(0);
      for (const m of ALL) {
        expect(await readSha256(join(box.root(m), 'docs', 'big.bin')), m).toBe(sha);
        expect((await box.stat(m, 'docs/big.bin')).mtimeNs, m).toBe(1700000600500000000n);
      }
      expect(await readOwed(box)).toEqual([]);
    } finally {
      await box.cleanup();
    }
  }, 90_000);

  it('never shows a killed transfer\'s partial file to the next scan', async () => {
    const box = await slowSandbox();
    try {
      await box.write('here', 'docs/small.txt', 'small\n', '1700000001.5');
      const big = join(box.root('here'), 'docs', 'big.bin');
      await writeRandomFile(big, BIG);
      await writeMtime(big, '1700000600.5');
      const run = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      try {
        await waitFor('an rsync temporary file in m1/.blat-tmp', async () =>
          (await readdir(join(box.root('m1'), '.blat-tmp')).catch(() => [] as string[])).find((n) => n.startsWith('big.bin.')),
        );
      } finally {
        run.killGroup();
      }
      await run.ended;
      await endRsyncUnder(box.dir);
      // The next plan sees only real files: the partial one is out of every sync path.
      const plan = await runBlat(['plan', '--json'], { cwd: box.dir, timeoutMs: 60_000 });
      const doc = JSON.parse(plan.stdout) as { steps: { path: string }[] };
      expect(doc.steps.map((s) => s.path)).toContain('docs/big.bin');
      for (const s of doc.steps) expect(['docs', 'docs/big.bin', 'docs/small.txt']).toContain(s.path);
    } finally {
      await box.cleanup();
    }
  }, 90_000);
});

describe('blat apply FILE: a machine gone between plan and apply', () => {
  it('fails its steps at the precheck (exit 2), owes them, and the resume finishes them', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', '1700000000.25');
      expect((await runBlat(['plan', '--out', 'plan.json'], { cwd: box.dir })).code).toBe(0);
      await machines.sshd.setOffline('m2', true);

      const r = await runBlat(['apply', 'plan.json'], { cwd: box.dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/failed +push docs\/a\.txt here → m2: m2 unreachable \(refused\)/);
      for (const m of ['m1', 'm3']) expect(await box.read(m, 'docs/a.txt')).toBe('a\n');
      expect(await box.exists('m2', 'docs')).toBe(false);
      expect((await readOwed(box)).map((o) => `${o.kind} ${o.machine} ${o.path}`).sort()).toEqual(['failed m2 docs', 'failed m2 docs/a.txt']);

      await machines.sshd.setOffline('m2', false);
      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(resumed.code).toBe(0);
      await expectAllLike(box, SSH);
      expect(await readOwed(box)).toEqual([]);
    } finally {
      await machines.sshd.setOffline('m2', false);
      await box.cleanup();
    }
  });
});
