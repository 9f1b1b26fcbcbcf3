// End to end: a user's USB disk formatted exFAT or NTFS as a `transport: local` machine, beside
// `here` and an ssh machine. The filesystems are real ones, mounted in user space (exfat-fuse on a
// loop device, ntfs-3g on the image). blat probes the root once and asks of the disk nothing the
// probe found missing:
//   exFAT (exfat-fuse 1.3): names fold case; mtimes kept to the whole second; chmod "works" but
//          every mode stays rwxrwxrwx; no symlinks (ENOSYS); no : ? * " < > | \ in names.
//   NTFS (ntfs-3g, no permission mapping): names keep their case; mtimes kept to 100 ns; every
//          mode stays rwxrwxrwx; symlinks kept.
import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import { findFuseDiskSkipReason, mountFuseDisk, type FuseDiskKind, type FuseDiskMount } from '../helpers/fuseDisk.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { shareSshd, type SshdHandle } from '../helpers/sshd.js';
import { withoutMuxNoise } from './support.js';

/** What the probe of each filesystem finds (kept in state.json). */
const PROBED: Record<'exfat' | 'ntfs', Record<string, unknown>> = {
  exfat: { caseInsensitive: true, normalizes: false, mtimeWindow: 1, chmod: false, fixedModes: { file: 0o777, dir: 0o777 }, symlinks: false, refusedNames: { chars: ':?*"<>|\\', controls: true, nonUtf8: true } },
  ntfs: { caseInsensitive: false, normalizes: false, mtimeWindow: 0, chmod: false, fixedModes: { file: 0o777, dir: 0o777 }, refusedNames: { nonUtf8: true } },
};

async function readUsbProbe(box: Sandbox): Promise<Record<string, unknown>> {
  const state = JSON.parse(await readFile(join(box.dir, '.blat', 'state.json'), 'utf8'));
  return state.machines.find((m: { name: string }) => m.name === 'usb').probe;
}

const kinds = ['exfat', 'ntfs'] as const satisfies readonly FuseDiskKind[];
const skips = kinds.map((k) => findFuseDiskSkipReason(k));

describe.skipIf(skips.every((s) => s !== undefined))('USB disks in user space', () => {
  let sshd: SshdHandle | undefined;
  beforeAll(async () => {
    sshd = await shareSshd(['m1']);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  kinds.forEach((kind, i) => {
    const skip = skips[i];
    /** A sandbox (self `here`, m1 over ssh, `usb` a disk of this kind mounted on its root) for one test; unmounted and removed after it. */
    const diskTest = it.extend<{ box: Sandbox; disk: FuseDiskMount }>({
      box: async ({}, use) => {
        const box = await makeSandbox({ sshd: sshd!, ssh: ['m1'], local: ['here', 'usb'], self: 'here', paths: ['docs'] });
        await box.writeConfig();
        await use(box);
        await box.cleanup();
      },
      // Mounted for every test (auto), whether or not it names it.
      disk: [
        async ({ box }, use) => {
          const disk = mountFuseDisk(kind, box.dir, box.root('usb'));
          try {
            await use(disk);
          } finally {
            disk.unmount();
          }
        },
        { auto: true },
      ],
    });

    // Each test has its disk of its own; they mostly wait (the probe's attribute cache, the drivers): run side by side.
    describe.skipIf(skip !== undefined)(`an ${kind} disk as a local machine${skip ? ` — skipped: ${skip}` : ''}`, { concurrent: true }, () => {
      diskTest('a sync converges, the next plan is in sync, and an edit on the disk comes back', async ({ box }) => {
        await box.write('here', 'docs/notes.txt', 'notes\n', '1700000001.123456789');
        await chmod(join(box.root('here'), 'docs/notes.txt'), 0o644);
        await box.write('here', 'docs/bin/run.sh', '#!/bin/sh\n', '1710000002.987654321');
        await chmod(join(box.root('here'), 'docs/bin/run.sh'), 0o755);
        await box.write('m1', 'docs/from-m1.txt', 'from m1\n', '1720000003.5');

        const first = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
        expect(withoutMuxNoise(first.stderr)).toBe('');
        expect(first.stdout).toContain('In sync');
        expect(first.code).toBe(0);
        expect(await readUsbProbe(box)).toMatchObject(PROBED[kind]);
        expect(await box.read('usb', 'docs/from-m1.txt')).toBe('from m1\n');
        expect(await box.read('usb', 'docs/bin/run.sh')).toBe('#!/bin/sh\n');
        const kept = (await stat(join(box.root('usb'), 'docs/notes.txt'))).mtimeMs / 1000;
        expect(kept).toBeCloseTo(kind === 'exfat' ? 1700000001 : 1700000001.123, 3);

        const again = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
        expect(again.stdout).toContain('Every machine is in sync');
        expect(again.code).toBe(0);

        // Edited on the disk (as another computer would): synced back to here and m1, and in sync after.
        await box.write('usb', 'docs/notes.txt', 'notes, edited on the disk\n', '1750000004');
        await box.write('usb', 'docs/new.txt', 'new on the disk\n', '1750000006');
        const back = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
        expect(withoutMuxNoise(back.stderr)).toBe('');
        expect(back.code).toBe(0);
        expect(await box.read('here', 'docs/notes.txt')).toBe('notes, edited on the disk\n');
        expect(await box.read('m1', 'docs/new.txt')).toBe('new on the disk\n');
        // here keeps its modes: the edited file its own, the new one rw-r--r--, not the disk's rwxrwxrwx.
        expect((await stat(join(box.root('here'), 'docs/notes.txt'))).mode & 0o777).toBe(0o644);
        expect((await stat(join(box.root('here'), 'docs/new.txt'))).mode & 0o777).toBe(0o644);
        expect((await stat(join(box.root('here'), 'docs/bin/run.sh'))).mode & 0o777).toBe(0o755);

        const last = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
        expect(last.stdout).toContain('Every machine is in sync');
        expect(last.code).toBe(0);
      });

      diskTest(kind === 'exfat' ? 'README and readme collide on the disk, which folds case: listed as conflicts, neither written there' : 'README and readme are two files on the disk, which keeps case: both synced', async ({ box }) => {
        await box.write('here', 'docs/README', 'upper\n', '1700000002');
        await box.write('m1', 'docs/readme', 'lower\n', '1700000004');
        await box.write('here', 'docs/other.txt', 'other\n', '1700000006');
        const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
        expect(await box.read('usb', 'docs/other.txt')).toBe('other\n');
        if (kind === 'exfat') {
          expect(r.stdout).toContain('names collide on usb, which folds them: docs/README, docs/readme');
          expect(r.code).toBe(2);
          expect(await box.exists('usb', 'docs/README')).toBe(false);
          expect(await box.exists('usb', 'docs/readme')).toBe(false);
          expect(await box.read('here', 'docs/README')).toBe('upper\n');
          expect(await box.read('m1', 'docs/readme')).toBe('lower\n');
        } else {
          expect(withoutMuxNoise(r.stderr)).toBe('');
          expect(r.code).toBe(0);
          expect(await box.read('usb', 'docs/README')).toBe('upper\n');
          expect(await box.read('usb', 'docs/readme')).toBe('lower\n');
          expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);
        }
      });

      diskTest(kind === 'exfat' ? 'a symlink and a name with a colon, which the disk cannot hold: conflicts naming the disk, no failed step, and the same plan after' : 'a symlink and a name with a colon are kept on the disk: in sync after', async ({ box }) => {
        await box.write('here', 'docs/a.txt', 'a\n', '1700000002');
        await box.write('here', 'docs/12:30.txt', 'at half past twelve\n', '1700000003');
        await box.symlink('here', 'docs/link', 'a.txt', '1700000004');
        // In a new folder too (which would go whole).
        await box.write('here', 'docs/sub/b.txt', 'b\n', '1700000006');
        await box.symlink('here', 'docs/sub/to-b', 'b.txt', '1700000008');
        const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
        expect(withoutMuxNoise(r.stderr)).toBe('');
        expect(await box.read('usb', 'docs/a.txt')).toBe('a\n');
        expect(await box.read('usb', 'docs/sub/b.txt')).toBe('b\n');
        const plan = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir });
        if (kind === 'exfat') {
          expect(r.stdout).toContain('symlinks cannot be written on usb (its filesystem holds none)');
          expect(r.stdout).toContain(' 0 failed,');
          expect(r.stdout).not.toContain('Not done');
          expect(r.code).toBe(2);
          expect(r.stdout).toContain("docs/12:30.txt — the name cannot be written on usb: its filesystem refuses ':'");
          expect(await box.exists('usb', 'docs/link')).toBe(false);
          expect(await box.exists('usb', 'docs/sub/to-b')).toBe(false);
          expect(plan.stdout).toMatch(/docs\/link[\s\S]*symlinks cannot be written on usb/);
          expect(plan.stdout).toContain('0 to pull, 0 to push');
          expect(plan.code).toBe(2);
        } else {
          expect(r.code).toBe(0);
          expect((await box.stat('usb', 'docs/sub/to-b')).target).toBe('b.txt');
          expect(await box.read('usb', 'docs/12:30.txt')).toBe('at half past twelve\n');
          expect(plan.code).toBe(0);
        }
      });
    });
  });
});
