// End to end: every version apply replaces is kept in its machine's trash; `blat trash`.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { startBlatInBackground, useDocsMachines, waitFor, withoutMuxNoise } from './support.js';

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

describe('apply keeps what it replaces', () => {
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
      // 1,000 KiB/s: the transfer takes about 1.5 s, long enough to save the file meanwhile.
      const run = startBlatInBackground(['apply', '--auto-approve'], box.dir, { BLAT_TEST_RSYNC_BWLIMIT: '1000' });
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
      // The next plan sees the save as the change it is.
      const plan = JSON.parse((await runBlat(['plan', '--json'], { cwd: box.dir })).stdout) as { steps: { action: string; path: string; to: string }[] };
      expect(plan.steps.filter((s) => s.path === 'docs/big.bin').map((s) => `${s.action} ${s.to}`)).toEqual(['push m1', 'push m2', 'push m3']);
    } finally {
      await box.cleanup();
    }
  });
});
