// End to end: an apply that leaves every machine alike writes their seen lines and keeps a copy of
// its listing; the next apply compares the listings of the machines that changed with that copy
// and plans only what differs; its plan must be exactly the one `blat plan` (which reads every
// listing whole, with the base, when the copy is set aside) makes of the same machines.
import { existsSync } from 'node:fs';
import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { startBlatInBackground, useDocsMachines, waitFor, withoutMuxNoise, writeRandomFile } from './support.js';

const SSH = ['m1', 'm2', 'm3'];
const machines = useDocsMachines(SSH);
const sandbox = machines.sandbox;

const SYNCED_LINE = /^compared with the listing their seen lines stand for: (\d+) paths alike everywhere, (\d+) planned one by one$/m;

/** `blat plan --json` of the machines as they are, every listing read whole (the copy of the seen lines' listing set aside meanwhile). */
async function planWhole(box: Sandbox, extra: readonly string[] = []): Promise<Record<string, unknown>> {
  const record = join(box.dir, '.blat', 'seen.json');
  const kept = existsSync(record);
  if (kept) await rename(record, `${record}.aside`);
  try {
    const r = await runBlat(['plan', '--json', '--verbose', ...extra], { cwd: box.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(SYNCED_LINE);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } finally {
    if (kept) await rename(`${record}.aside`, record);
  }
}

/** `blat apply --json --verbose`: its plan document, what it said on stderr, and its exit code. */
async function applyVerbose(box: Sandbox, extra: readonly string[] = []): Promise<{ plan: Record<string, unknown>; stderr: string; code: number }> {
  const r = await runBlat(['apply', '--auto-approve', '--json', '--verbose', ...extra], { cwd: box.dir, timeoutMs: 60_000 });
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; plan?: Record<string, unknown> });
  return { plan: events.find((e) => e.event === 'plan')!.plan!, stderr: withoutMuxNoise(r.stderr), code: r.code };
}

/** A plan document without what differs from run to run: when it was made, the clocks' offsets. */
const withoutTime = (doc: Record<string, unknown>) => ({
  ...doc,
  createdAt: undefined,
  createdAtMs: undefined,
  machines: (doc.machines as Record<string, unknown>[]).map((m) => ({ ...m, clockOffsetMs: undefined })),
});

async function seed(box: Sandbox): Promise<void> {
  for (let i = 0; i < 30; i++) await box.write('here', `docs/f${i}.txt`, `file ${i}\n`, `17000000${String(i).padStart(2, '0')}.5`);
  await box.write('here', 'docs/sub/deep/x.txt', 'x\n', '1700000100.25');
  await box.write('here', 'docs/new\nline.txt', 'nl\n', '1700000101');
  await box.write('here', `docs/it's "q" $(x).txt`, 'q\n', '1700000102');
  await box.write('here', 'docs/-rf', 'dash\n', '1700000103');
  await box.symlink('here', 'docs/link', 'f1.txt', '1700000104');
}

// Independent sandboxes, mostly waiting on blat and ssh: run side by side.
describe.concurrent('blat apply after a complete apply (the seen lines it wrote)', () => {
  it('plans only what changed, exactly as a whole plan does, and converges', async () => {
    const box = await sandbox();
    try {
      await seed(box);
      const first = await applyVerbose(box);
      expect(first.code).toBe(0);
      expect(first.stderr).not.toMatch(SYNCED_LINE); // nothing recorded yet: every listing read
      expect(existsSync(join(box.dir, '.blat', 'seen.json'))).toBe(true);

      // Changes everywhere: self newer, a remote newer (self pulls), new on a remote, deleted on a
      // remote (held), a conflict, a new folder here, a hostile name rewritten, a link retargeted.
      await box.write('here', 'docs/f1.txt', 'newer here\n', '1750000001');
      await box.write('m2', 'docs/f2.txt', 'newer on m2\n', '1750000002');
      await box.write('m3', 'docs/only-m3.txt', 'new on m3\n', '1750000003');
      await box.remove('m1', 'docs/f3.txt');
      await box.write('m1', 'docs/f4.txt', 'm1 version\n', '1750000004');
      await box.write('m2', 'docs/f4.txt', 'm2 version!\n', '1750000005');
      await box.write('here', 'docs/fresh/a.txt', 'fresh\n', '1750000006');
      await box.write('m3', `docs/it's "q" $(x).txt`, 'q newer\n', '1750000007');
      await box.remove('here', 'docs/link');
      await box.symlink('here', 'docs/link', 'f2.txt', '1750000008');

      const whole = await planWhole(box);
      const second = await applyVerbose(box);
      const line = SYNCED_LINE.exec(second.stderr);
      expect(line, second.stderr).not.toBeNull();
      expect(Number(line![2])).toBeLessThan(20); // the changed paths and the folders they are in, not all 36
      expect(withoutTime(second.plan)).toEqual(withoutTime(whole));
      expect(second.code, second.stdout).toBe(2); // a conflict and a held deletion remain

      // It left a conflict and a held deletion: no seen lines written, the copy forgotten.
      const third = await runBlat(['plan', '--json', '--verbose'], { cwd: box.dir });
      expect(third.stderr).not.toMatch(SYNCED_LINE);
      expect(withoutTime(JSON.parse(third.stdout) as Record<string, unknown>)).toEqual(withoutTime(await planWhole(box)));

      // Held: the deletion on m1 and the conflict; the rest converged.
      const after = await planWhole(box);
      expect(after.summary as Record<string, number>, `the second apply said:\n${second.stdout}${second.stderr}`).toMatchObject({ pull: 0, push: 0, conflicts: 1, deletions: 1 });
      for (const m of ['here', ...SSH]) {
        expect(await readFile(join(box.root(m), 'docs/f1.txt'), 'utf8'), m).toBe('newer here\n');
        expect(await readFile(join(box.root(m), 'docs/f2.txt'), 'utf8'), m).toBe('newer on m2\n');
        expect(await readFile(join(box.root(m), 'docs/fresh/a.txt'), 'utf8'), m).toBe('fresh\n');
      }
    } finally {
      await box.cleanup();
    }
  });

  it('uses the copy for the next push, with deletions propagated and guarded as a whole plan', async () => {
    const box = await sandbox();
    try {
      await seed(box);
      expect((await applyVerbose(box)).code).toBe(0);
      // Self changes and deletes; nothing else changes: self pulls nothing, so the next is recorded too.
      await box.write('here', 'docs/f5.txt', 'five\n', '1750000010');
      await box.remove('here', 'docs/f6.txt');
      const whole = await planWhole(box, ['--propagate-deletes']);
      const second = await applyVerbose(box, ['--propagate-deletes']);
      expect(second.stderr).toMatch(SYNCED_LINE);
      expect(withoutTime(second.plan)).toEqual(withoutTime(whole));
      expect(second.code, second.stdout).toBe(0);
      for (const m of SSH) expect(existsSync(join(box.root(m), 'docs/f6.txt')), m).toBe(false);
      // It left every machine alike: it wrote their seen lines (pending on those it wrote, which send
      // their listings once, compared with the copy), and the plan after that reads nothing.
      expect(existsSync(join(box.dir, '.blat', 'seen.json'))).toBe(true);
      const plan = await runBlat(['plan', '--verbose'], { cwd: box.dir });
      expect(plan.stderr).toMatch(SYNCED_LINE);
      expect(plan.stdout).toMatch(/No changes/);
      const again = await runBlat(['plan', '--verbose'], { cwd: box.dir });
      expect(again.stderr).toMatch(/every machine answered "same" by its seen line/);
      expect(again.stdout).toMatch(/No changes/);

      // Most files gone here: the mass-deletion guard counts every file a machine holds, not only the planned ones.
      for (let i = 7; i < 30; i++) await box.remove('here', `docs/f${i}.txt`);
      const third = await runBlat(['apply', '--auto-approve', '--propagate-deletes', '--verbose'], { cwd: box.dir, timeoutMs: 60_000 });
      expect(third.stderr).toMatch(SYNCED_LINE);
      expect(third.stderr).toMatch(/refusing to propagate deletions: m1: propagating deletions would move 23 of the 3\d files it holds/);
      expect(third.code).toBe(1);
      expect(existsSync(join(box.root('m1'), 'docs/f7.txt'))).toBe(true);

      // Something out of the ordinary (a machine offline: its root is gone): every listing is read, and the plan is the whole one.
      await box.write('here', 'docs/f7.txt', 'back\n', '1750000020');
      await rename(box.root('m3'), `${box.root('m3')}.away`);
      const wholeOffline = await planWhole(box);
      const fourth = await applyVerbose(box);
      expect(fourth.stderr).toMatch(/every listing is read/);
      expect(withoutTime(fourth.plan)).toEqual(withoutTime(wholeOffline));
      expect(fourth.code).toBe(2); // m3 is owed
      await rename(`${box.root('m3')}.away`, box.root('m3'));
    } finally {
      await box.cleanup();
    }
  });

  it('writes no seen line when a machine it wrote changed meanwhile (an edit during the apply): the next plan reads the listings and sees the edit', async () => {
    const box = await sandbox();
    try {
      await seed(box);
      expect((await applyVerbose(box)).code).toBe(0);
      // A push slow to m1 (128 KiB/s), during which f9.txt, which no step touches, is edited on m2.
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 384 * 1024);
      await box.writeConfig({ machines: { m1: { bwlimit: 128 } } });
      const blat = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      await waitFor('the partial file on m1', async () => ((await readdir(join(box.root('m1'), '.blat-tmp')).catch(() => [])).length > 0 ? true : undefined));
      await box.write('m2', 'docs/f9.txt', 'edited on m2 during the apply\n', '1760000000');
      expect((await blat.ended).code).toBe(0);
      const plan = await runBlat(['plan', '--verbose', '--json'], { cwd: box.dir });
      expect(plan.stderr).not.toMatch(/every machine answered "same"/);
      const steps = (JSON.parse(plan.stdout) as { steps: { action: string; path: string; from: string; to: string }[] }).steps;
      expect(steps.map((st) => `${st.action} ${st.path} ${st.from}>${st.to}`).sort()).toEqual(['pull docs/f9.txt m2>here', 'push docs/f9.txt here>m1', 'push docs/f9.txt here>m3']);
    } finally {
      await box.cleanup();
    }
  });
});
