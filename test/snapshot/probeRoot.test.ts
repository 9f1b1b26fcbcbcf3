import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMtimeShift, buildMtimeWindow, parseLsMode, parseProbeOutput, probeRoot } from '../../src/snapshot/probeRoot.js';
import type { MachineConfig } from '../../src/types.js';
import { findFatSkipReason, mountFat } from '../helpers/fat.js';
import { findFuseDiskSkipReason, mountFuseDisk, type FuseDiskKind } from '../helpers/fuseDisk.js';

const machine = (root: string): MachineConfig => ({ name: 'm', transport: 'local', root, aliases: [] });
const fatSkip = findFatSkipReason();

describe('parseProbeOutput', () => {
  it('no symlinks where one could not be made', () => {
    const out = parseProbeOutput('blat-probe-1\0root\0case=1\0norm=0\0mtime=1700000001.0000000000\0fmode=-rwxrwxrwx\0dmode=drwxrwxrwx\0chmod=0\0symlink=0\0rename=1\0end\0', '/r', 5);
    expect(out.ok && out.probe.symlinks).toBe(false);
    expect(parseProbeOutput('blat-probe-1\0root\0case=0\0norm=0\0symlink=1\0end\0', '/r', 5)).toMatchObject({ ok: true, probe: { caseInsensitive: false } });
    expect((parseProbeOutput('blat-probe-1\0root\0case=0\0norm=0\0symlink=1\0end\0', '/r', 5) as { probe: object }).probe).not.toHaveProperty('symlinks');
  });
  it('reads the facts, and the fixed modes only where chmod does not work', () => {
    const out = parseProbeOutput('blat-probe-1\0root\0case=1\0norm=-\0mtime=1700000000.0000000000\0fmode=-rwx------\0dmode=drwx------\0chmod=0\0end\0', '/r', 5);
    expect(out).toEqual({ ok: true, probe: { root: '/r', probedMs: 5, caseInsensitive: true, normalizes: false, mtimeWindow: 2, chmod: false, fixedModes: { file: 0o700, dir: 0o700 }, refusedNames: { nonAscii: true } } });
  });
  it('the names refused: characters of :?*"<>|\\, control characters, bytes not UTF-8, é (norm=-)', () => {
    const out = parseProbeOutput('blat-probe-1\0root\0case=1\0norm=0\0badchars=:|\\\0ctlname=1\0utf8only=1\0end\0', '/r', 5);
    expect(out.ok && out.probe.refusedNames).toEqual({ chars: ':|\\', controls: true, nonUtf8: true });
    const none = parseProbeOutput('blat-probe-1\0root\0case=0\0norm=0\0badchars=\0ctlname=0\0utf8only=0\0end\0', '/r', 5);
    expect(none.ok && 'refusedNames' in none.probe).toBe(false);
  });
  it('a root missing, not writable, or an answer cut short is no probe', () => {
    expect(parseProbeOutput('blat-probe-1\0noroot\0end\0', '/r', 0).ok).toBe(false);
    expect(parseProbeOutput('blat-probe-1\0unwritable\0end\0', '/r', 0).ok).toBe(false);
    expect(parseProbeOutput('blat-probe-1\0root\0case=1\0', '/r', 0).ok).toBe(false);
  });
  it('mtime precision: ns, whole seconds, coarse fractions, 2 s, unknown', () => {
    expect(buildMtimeWindow('1700000001.1234567890')).toBe(0);
    expect(buildMtimeWindow('1700000001.0000000000')).toBe(1);
    expect(buildMtimeWindow('1700000001.1200000000')).toBe(1);
    expect(buildMtimeWindow('1700000000.0000000000')).toBe(2);
    expect(buildMtimeWindow('')).toBeUndefined();
    // 9 h off (fusefat mounted under Asia/Tokyo): no window fixes that; the shift is kept instead.
    expect(buildMtimeWindow('1699967601.0000000000')).toBeUndefined();
    expect(buildMtimeShift('1699967601.0000000000')).toBe(-32400);
    expect(buildMtimeShift('1700000000.0000000000')).toBeUndefined();
  });
  it('ls modes', () => {
    expect(parseLsMode('-rw-r--r--')).toBe(0o644);
    expect(parseLsMode('drwxr-xr-x')).toBe(0o755);
    expect(parseLsMode('bogus')).toBeUndefined();
  });
});

// The disks' probes each mount their own disk and mostly wait (the attribute cache): side by side.
describe.concurrent('probeRoot', () => {
  it('on this filesystem: case-sensitive, not normalizing, ns mtimes, chmod works; leaves nothing behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'blat-probe-'));
    try {
      const out = await probeRoot(machine(root), { kind: 'local' }, 1);
      expect(out).toEqual({ ok: true, probe: { root, probedMs: 1, caseInsensitive: false, normalizes: false, mtimeWindow: 0, chmod: true } });
      expect(await readdir(root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  it('a missing root is no probe', async () => {
    expect((await probeRoot(machine('/nonexistent/blat-probe'), { kind: 'local' }, 1)).ok).toBe(false);
  });
  it.skipIf(fatSkip !== undefined)(`on FAT (fusefat): case-insensitive, 2 s mtimes, no chmod, every mode 0700, no symlinks, only ASCII names without :?*"<>|\\ or control characters, a rename loses the mtime${fatSkip ? ` — skipped: ${fatSkip}` : ''}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blat-probe-fat-'));
    const mnt = join(dir, 'mnt');
    await import('node:fs/promises').then((fs) => fs.mkdir(mnt));
    const fat = mountFat(dir, mnt);
    try {
      const out = await probeRoot(machine(mnt), { kind: 'local' }, 1);
      expect(out).toEqual({ ok: true, probe: { root: mnt, probedMs: 1, caseInsensitive: true, normalizes: false, mtimeWindow: 2, chmod: false, fixedModes: { file: 0o700, dir: 0o700 }, renameKeepsMtime: false, symlinks: false, refusedNames: { chars: ':?*"<>|\\', controls: true, nonUtf8: true, nonAscii: true } } });
      expect(await readdir(mnt)).toEqual([]);
    } finally {
      fat.unmount();
      await rm(dir, { recursive: true, force: true });
    }
  });
  const expected: Record<'exfat' | 'ntfs', Record<string, unknown>> = {
    // exfat-fuse 1.3: case folded, whole seconds, every mode rwxrwxrwx and chmod a silent no-op, no symlinks (ENOSYS), Windows' forbidden characters, control characters and non-UTF-8 bytes refused, a rename keeps the mtime.
    exfat: { caseInsensitive: true, normalizes: false, mtimeWindow: 1, chmod: false, fixedModes: { file: 0o777, dir: 0o777 }, symlinks: false, refusedNames: { chars: ':?*"<>|\\', controls: true, nonUtf8: true } },
    // ntfs-3g without permission mapping: case kept, 100 ns mtimes, every mode rwxrwxrwx, symlinks kept, only non-UTF-8 bytes refused.
    ntfs: { caseInsensitive: false, normalizes: false, mtimeWindow: 0, chmod: false, fixedModes: { file: 0o777, dir: 0o777 }, refusedNames: { nonUtf8: true } },
  };
  for (const kind of ['exfat', 'ntfs'] as const satisfies readonly FuseDiskKind[]) {
    const skip = findFuseDiskSkipReason(kind);
    it.skipIf(skip !== undefined)(`on ${kind}: ${JSON.stringify(expected[kind])}${skip ? ` — skipped: ${skip}` : ''}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), `blat-probe-${kind}-`));
      const mnt = join(dir, 'mnt');
      await import('node:fs/promises').then((fs) => fs.mkdir(mnt));
      const disk = mountFuseDisk(kind, dir, mnt);
      try {
        const out = await probeRoot(machine(mnt), { kind: 'local' }, 1);
        expect(out).toEqual({ ok: true, probe: { root: mnt, probedMs: 1, ...expected[kind] } });
        expect((await readdir(mnt)).filter((n) => n !== '$RECYCLE.BIN' && n !== 'System Volume Information')).toEqual([]);
      } finally {
        disk.unmount();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
  it.skipIf(fatSkip !== undefined)(`on FAT mounted by a fusefat under Asia/Tokyo: mtimes come back 9 h off, a shift and no window${fatSkip ? ` — skipped: ${fatSkip}` : ''}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blat-probe-fat-'));
    const mnt = join(dir, 'mnt');
    await import('node:fs/promises').then((fs) => fs.mkdir(mnt));
    const fat = mountFat(dir, mnt, 'Asia/Tokyo');
    try {
      const out = await probeRoot(machine(mnt), { kind: 'local' }, 1);
      // 9 h, and FAT's 2 s precision on top.
      expect(Math.abs(((out.ok && out.probe.mtimeShift) || 0) + 32400)).toBeLessThanOrEqual(2);
      expect(out.ok && out.probe.mtimeWindow).toBeUndefined();
    } finally {
      fat.unmount();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
