// End to end: a USB disk formatted FAT as a `transport: local` machine. The FAT filesystem is a
// real one, mounted in user space by fusefat: every chmod fails there, every mode shows 0700, and
// mtimes keep 2 s. blat probes the root once and so compares it with a 2 s window and without
// modes, and asks rsync for nothing it cannot do.
import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { findFatSkipReason, mountFat, type FatMount } from '../helpers/fat.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { startBlatInBackground, waitFor } from './support.js';

const skip = findFatSkipReason();

/** A sandbox (self `here`, `usb` a FAT disk mounted on its root) for one test; unmounted and removed after it. */
const fatTest = it.extend<{ box: Sandbox; fat: FatMount }>({
  box: async ({}, use) => {
    const box = await makeSandbox({ ssh: [], local: ['here', 'usb'], self: 'here', paths: ['docs'] });
    await box.writeConfig();
    await use(box);
    await box.cleanup();
  },
  // Mounted for every test (auto), whether or not it names it.
  fat: [
    async ({ box }, use) => {
      const fat = mountFat(box.dir, box.root('usb'));
      try {
        await use(fat);
      } finally {
        fat.unmount();
      }
    },
    { auto: true },
  ],
});

// Each test has its disk of its own; they mostly wait (the probe's attribute cache, fusefat): run side by side.
describe.skipIf(skip !== undefined)(`a FAT disk as a local machine${skip ? ` — skipped: ${skip}` : ''}`, { concurrent: true }, () => {
  fatTest('a sync converges, the next plan is in sync, and a change on the disk comes back', async ({ box }) => {
    await box.write('here', 'docs/notes.txt', 'notes\n', '1700000001.123456789');
    await chmod(join(box.root('here'), 'docs/notes.txt'), 0o644);
    await box.write('here', 'docs/bin/run.sh', '#!/bin/sh\n', '1710000002.987654321');
    await chmod(join(box.root('here'), 'docs/bin/run.sh'), 0o755);
    await box.write('here', 'docs/bin/tool.conf', 'x=1\n', '1720000003.5');

    const first = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('In sync');
    expect(first.code).toBe(0);
    expect(await box.read('usb', 'docs/bin/run.sh')).toBe('#!/bin/sh\n');
    // FAT kept 2 s of the mtime, and shows its one mode.
    expect((await stat(join(box.root('usb'), 'docs/notes.txt'))).mtimeMs / 1000).toBe(1700000000);
    const state = JSON.parse(await readFile(join(box.dir, '.blat', 'state.json'), 'utf8'));
    expect(state.machines.find((m: { name: string }) => m.name === 'usb').probe).toMatchObject({ caseInsensitive: true, mtimeWindow: 2, chmod: false });

    const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
    expect(again.stdout).toContain('Every machine is in sync');
    expect(again.code).toBe(0);

    // Edited on the disk (as another computer would): synced back, and in sync after.
    await box.write('usb', 'docs/notes.txt', 'notes, edited on the disk\n', '1750000004');
    await box.write('usb', 'docs/new.txt', 'new on the disk\n', '1750000006');
    const back = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(await box.read('here', 'docs/notes.txt')).toBe('notes, edited on the disk\n');
    expect(await box.read('here', 'docs/new.txt')).toBe('new on the disk\n');
    // here keeps its modes: the edited file its own, the new one rw-r--r--.
    expect((await stat(join(box.root('here'), 'docs/notes.txt'))).mode & 0o777).toBe(0o644);
    expect((await stat(join(box.root('here'), 'docs/new.txt'))).mode & 0o777).toBe(0o644);
    expect((await stat(join(box.root('here'), 'docs/bin/run.sh'))).mode & 0o777).toBe(0o755);

    const last = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
    expect(last.stdout).toContain('Every machine is in sync');
    expect(last.code).toBe(0);
  });

  fatTest('the disk replaced by a plain folder and taken as new (apply --new usb): its root probed again, modes kept and no window there', async ({ box, fat }) => {
    await box.write('here', 'docs/bin/run.sh', '#!/bin/sh\n', '1710000002.987654321');
    await chmod(join(box.root('here'), 'docs/bin/run.sh'), 0o755);
    expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0);
    const probeOf = async () => JSON.parse(await readFile(join(box.dir, '.blat', 'state.json'), 'utf8')).machines.find((m: { name: string }) => m.name === 'usb').probe;
    expect(await probeOf()).toMatchObject({ caseInsensitive: true, mtimeWindow: 2, chmod: false });
    // The FAT disk gone: the same root is now a folder of this machine's own filesystem, empty.
    fat.unmount();
    const r = await runBlat(['apply', '--auto-approve', '--new', 'usb'], { cwd: box.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const probe = await probeOf();
    expect(probe).toMatchObject({ caseInsensitive: false, mtimeWindow: 0, chmod: true });
    expect(probe).not.toHaveProperty('fixedModes');
    expect(probe).not.toHaveProperty('symlinks');
    // perms kept there now: the script arrives executable, with its exact mtime.
    const st = await stat(join(box.root('usb'), 'docs/bin/run.sh'));
    expect(st.mode & 0o777).toBe(0o755);
    expect(st.mtimeMs).toBe((await stat(join(box.root('here'), 'docs/bin/run.sh'))).mtimeMs);
    const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
    expect(again.code).toBe(0);
  });

  fatTest('a declared modifyWindow and perms: keep win over the probe', async ({ box }) => {
    await box.writeConfig({ machines: { usb: { perms: 'keep', modifyWindow: 0 } } });
    await box.write('here', 'docs/notes.txt', 'notes\n', '1700000001.123456789');
    const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
    // Asked to keep modes where chmod fails: rsync says so, and the plan is not in sync.
    expect(r.code).toBe(2);
  });

  fatTest('README and readme from an ext4 machine collide on the disk: listed as conflicts, neither written there', async ({ box }) => {
    await box.write('here', 'docs/README', 'upper\n', '1700000002');
    await box.write('here', 'docs/readme', 'lower\n', '1700000004');
    await box.write('here', 'docs/other.txt', 'other\n', '1700000006');
    const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
    expect(r.stdout).toContain('names collide on usb, which folds them: docs/README, docs/readme');
    expect(r.code).toBe(2);
    expect(await box.read('usb', 'docs/other.txt')).toBe('other\n');
    expect(await box.exists('usb', 'docs/README')).toBe(false);
    expect(await box.read('here', 'docs/README')).toBe('upper\n');
    expect(await box.read('here', 'docs/readme')).toBe('lower\n');
  });

  fatTest('a new folder of 70 files (which would go whole elsewhere) arrives with its mtimes: in sync after', async ({ box }) => {
    for (let i = 0; i < 70; i++) await box.write('here', `docs/album/p${String(i).padStart(2, '0')}.jpg`, `photo ${i}\n`, 1_700_000_000 + 2 * i + 0.5);
    const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await stat(join(box.root('usb'), 'docs/album/p69.jpg'))).mtimeMs / 1000).toBe(1_700_000_138);
    const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
    expect(again.code).toBe(0);
  });

  fatTest('a file saved on the disk while a push writes it ends back in place, the step stale (never dated as the version sent)', async ({ box }) => {
    await box.write('usb', 'docs/big.bin', 'old on the disk\n', '1700000000');
    await box.write('here', 'docs/big.bin', 'old on the disk\n', '1700000000');
    expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(0); // probed, synced
    await box.write('here', 'docs/big.bin', randomBytes(1_500_000), '1700000900');
    // 1,000 KiB/s: the transfer takes about 1.5 s, long enough to save the file meanwhile.
    await box.writeConfig({ machines: { usb: { bwlimit: 1000 } } });
    const run = startBlatInBackground(['apply', '--auto-approve'], box.dir);
    try {
      const temp = join(box.root('usb'), '.blat-tmp');
      await waitFor('the push’s temporary file', async () => ((await readdir(temp).catch(() => [] as string[])).some((n) => n.startsWith('big.bin.')) ? true : undefined), 20_000);
      await writeFile(join(box.root('usb'), 'docs/big.bin'), 'saved on the disk during the push\n');
      const ended = await run.ended;
      // fusefat may also fail the transfer outright when the file changes under it (rsync: "error in
      // file IO"): then nothing was renamed over the saved version, and the step stays owed. Either
      // way the saved version is what the disk holds, and the apply says it is not done.
      expect(ended.stdout).toMatch(/changed on usb during the transfer; kept|failed +push docs\/big\.bin here → usb: .*error in file IO/);
      expect(ended.code).toBe(2);
    } finally {
      run.killGroup();
    }
    expect(await box.read('usb', 'docs/big.bin')).toBe('saved on the disk during the push\n');
  });
});
