// SIGTERM (or Ctrl-C) during apply: the transfers stop, nothing partial is left, the outcomes are
// journalled, the lock released, the summary printed, exit 143 (130); apply --resume finishes.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { readOwed, startBlatInBackground, useDocsMachines, waitFor, writeRandomFile } from './support.js';

const machines = useDocsMachines(['m1', 'm2']);
/** Transfers to and from the ssh machines at 128 KiB/s: 1 MiB takes about 8 s, stopped long before. */
const SLOW = { machines: { m1: { bwlimit: 128 }, m2: { bwlimit: 128 } } };

/** The names in a folder; none when it is not there. */
async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

// Independent sandboxes, mostly waiting (slowed transfers, leases, signals): run side by side.
describe.concurrent('blat apply stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: stops the transfers, removes partial files, journals every step, releases the lock, prints the summary, exits %i; --resume finishes', async (sig, exitCode) => {
    const box = await machines.sandbox();
    let blat: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      await box.write('here', 'docs/small.txt', 's\n', 1700000000);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      // 1 MiB at 128 KiB/s: about 8 s to send, stopped long before.
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 1024 * 1024);
      await box.writeConfig(SLOW);
      // Probe the roots first (once, kept in state.json): the probe's folder in .blat-tmp is not the transfer's file.
      expect((await runBlat(['plan'], { cwd: box.dir })).code).toBe(0);
      blat = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      // Mid-transfer: the receivers' partial files are in their temp folders.
      const temp = (m: string) => join(box.root(m), '.blat-tmp');
      await waitFor('partial files on m1 and m2', async () => ((await list(temp('m1'))).length > 0 && (await list(temp('m2'))).length > 0 ? true : undefined));
      process.kill(blat.pid, sig);
      const ended = await blat.ended;

      expect(ended.code).toBe(exitCode);
      expect(ended.stderr).toContain(`blat: ${sig}: stopping the transfers`);
      expect(ended.stdout).toMatch(/Apply finished: 0 files \(0 B\) in [\d.]+ s; 0 done, 2 failed, 0 stale, 0 deferred\./);
      expect(ended.stdout).toMatch(/failed +push docs\/big\.bin here → m1: .*interrupted/);
      expect(ended.stdout.trimEnd().split('\n').at(-1)).toBe('Not in sync: 2 failed.');
      expect(existsSync(join(box.dir, '.blat', 'lock'))).toBe(false);
      // The journal: each step's outcome, then the end of the run with its exit code.
      const records = (await readFile(join(box.dir, '.blat', 'journal.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const run = records.at(-1)!.run;
      const mine = records.filter((r) => r.run === run);
      expect(mine.map((r) => r.event)).toEqual(['begin', 'planned', 'planned', 'failed', 'failed', 'end']);
      expect(mine.at(-1)).toMatchObject({ event: 'end', exitCode });
      expect(mine.filter((r) => r.event === 'failed').every((r) => String(r.reason).includes('interrupted'))).toBe(true);
      // Nothing partial anywhere: not in the temp folders (once the receivers have cleaned up), not at the path.
      for (const m of ['m1', 'm2']) {
        await waitFor(`${m}'s temp folder emptied`, async () => ((await list(temp(m))).length === 0 ? true : undefined), 10_000);
        expect(existsSync(join(box.root(m), 'docs', 'big.bin')), m).toBe(false);
      }
      expect((await readOwed(box)).map((o) => `${o.machine} ${o.path}`)).toEqual(['m1 docs/big.bin', 'm2 docs/big.bin']);

      await box.writeConfig(); // full speed for the resume
      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(resumed.code).toBe(0);
      const original = await readFile(join(box.root('here'), 'docs', 'big.bin'));
      for (const m of ['m1', 'm2']) expect((await readFile(join(box.root(m), 'docs', 'big.bin'))).equals(original), m).toBe(true);
      expect(await readOwed(box)).toEqual([]);
    } finally {
      blat?.killGroup();
      await box.cleanup();
    }
  });

  it('a second signal ends blat at once, the lock going with it; what it did not record stays owed to --resume', async () => {
    const box = await machines.sandbox();
    let blat: ReturnType<typeof startBlatInBackground> | undefined;
    try {
      await box.mkdir('here', 'docs');
      await writeRandomFile(join(box.root('here'), 'docs', 'big.bin'), 1024 * 1024);
      await box.writeConfig(SLOW);
      // Probe the roots first (once, kept in state.json): the probe's folder in .blat-tmp is not the transfer's file.
      expect((await runBlat(['plan'], { cwd: box.dir })).code).toBe(0);
      blat = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      await waitFor('a partial file on m1', async () => ((await list(join(box.root('m1'), '.blat-tmp'))).length > 0 ? true : undefined));
      process.kill(blat.pid, 'SIGTERM');
      // Two signals sent at once may reach it as one: the second goes once the first was taken.
      const first = blat;
      await waitFor('the first signal taken', async () => (first.stderrSoFar().includes('SIGTERM') ? true : undefined));
      process.kill(blat.pid, 'SIGTERM');
      const ended = await blat.ended;
      expect(ended.code).toBe(143);
      expect(ended.stderr).toContain('blat: SIGTERM: stopped at once');
      expect(existsSync(join(box.dir, '.blat', 'lock'))).toBe(false);
      expect((await readOwed(box)).map((o) => `${o.machine} ${o.path}`).sort()).toEqual(['m1 docs', 'm1 docs/big.bin', 'm2 docs', 'm2 docs/big.bin']);
      await box.writeConfig(); // full speed for the resume
      expect((await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
      expect(await readOwed(box)).toEqual([]);
    } finally {
      blat?.killGroup();
      await box.cleanup();
    }
  });
});
