// A FAT16 filesystem in user space for tests: an image made by mkfs.vfat, mounted by fusefat
// (this kernel has no vfat module). Debian packages fusefat and dosfstools.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why a FAT image cannot be mounted here; undefined when it can. */
export function findFatSkipReason(): string | undefined {
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse: a FAT image cannot be mounted in user space here';
  for (const tool of ['fusefat', 'mkfs.vfat', 'fusermount']) if (!hasTool(tool)) return `${tool} is not installed (Debian packages fusefat, dosfstools, fuse)`;
  return undefined;
}

/** A mounted FAT image; `unmount` may be called more than once. */
export interface FatMount {
  unmount(): void;
}

/** Makes a 32 MiB FAT16 image in `imageDir` and mounts it on the (empty, existing) folder `mountPoint`, fusefat running under time zone `tz`. */
export function mountFat(imageDir: string, mountPoint: string, tz = 'UTC'): FatMount {
  const image = join(imageDir, 'fat.img');
  execFileSync('truncate', ['-s', '32M', image]);
  execFileSync('mkfs.vfat', [image], { stdio: 'ignore' });
  // fusefat keeps times as set only under UTC (under another time zone they read back shifted by its offset).
  execFileSync('fusefat', ['-o', 'rw+', image, mountPoint], { stdio: 'ignore', env: { ...process.env, TZ: tz } });
  let mounted = true;
  return {
    unmount() {
      if (!mounted) return;
      mounted = false;
      execFileSync('fusermount', ['-u', mountPoint], { stdio: 'ignore' });
    },
  };
}
