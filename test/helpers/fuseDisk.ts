// USB-disk filesystems in user space for tests: a small image made by the filesystem's mkfs and
// mounted by its FUSE driver (this kernel has no vfat, exfat or ntfs module).
//   fat    fusefat (Debian packages fusefat, dosfstools), on the image file itself
//   exfat  exfat-fuse (exfat-fuse, exfatprogs): it mounts as fuseblk, which wants a block device,
//          so the image is put on a loop device first (losetup, util-linux; root)
//   ntfs   ntfs-3g (ntfs-3g), on the image file itself
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A filesystem these helpers can make and mount. */
export type FuseDiskKind = 'fat' | 'exfat' | 'ntfs';

const TOOLS: Record<FuseDiskKind, { readonly tools: readonly string[]; readonly packages: string }> = {
  fat: { tools: ['fusefat', 'mkfs.vfat', 'fusermount'], packages: 'fusefat, dosfstools, fuse' },
  exfat: { tools: ['mount.exfat-fuse', 'mkfs.exfat', 'losetup', 'fusermount'], packages: 'exfat-fuse, exfatprogs, util-linux, fuse' },
  ntfs: { tools: ['ntfs-3g', 'mkntfs', 'fusermount'], packages: 'ntfs-3g, fuse' },
};

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin" command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The environment the tools run in (mkfs.exfat, mkntfs and mount.exfat-fuse live in /usr/sbin). */
function toolEnv(tz?: string): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, ...(tz !== undefined ? { TZ: tz } : {}) };
}

/** Why a `kind` image cannot be mounted here; undefined when it can. */
export function findFuseDiskSkipReason(kind: FuseDiskKind): string | undefined {
  if (!existsSync('/dev/fuse')) return `no /dev/fuse: a ${kind} image cannot be mounted in user space here`;
  const { tools, packages } = TOOLS[kind];
  for (const tool of tools) if (!hasTool(tool)) return `${tool} is not installed (Debian packages ${packages})`;
  if (kind === 'exfat' && process.getuid?.() !== 0) return 'not root: exfat-fuse mounts only a block device, and only root puts an image on a loop device';
  if (kind === 'exfat' && !existsSync('/dev/loop-control')) return 'no /dev/loop-control: exfat-fuse needs the image on a loop device';
  return undefined;
}

/** A mounted image; `unmount` may be called more than once. */
export interface FuseDiskMount {
  unmount(): void;
}

/**
 * Makes a small `kind` image in `imageDir` and mounts it on the (empty, existing) folder
 * `mountPoint`, the driver running under time zone `tz` (fusefat keeps times as set only under
 * UTC: under another time zone they read back shifted by its offset).
 */
export function mountFuseDisk(kind: FuseDiskKind, imageDir: string, mountPoint: string, tz = 'UTC'): FuseDiskMount {
  const image = join(imageDir, `${kind}.img`);
  const env = toolEnv(tz);
  const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  let loop: string | undefined;
  if (kind === 'fat') {
    run('truncate', ['-s', '32M', image]);
    run('mkfs.vfat', [image]);
    run('fusefat', ['-o', 'rw+', image, mountPoint]);
  } else if (kind === 'exfat') {
    run('truncate', ['-s', '16M', image]);
    run('mkfs.exfat', [image]);
    loop = run('losetup', ['--find', '--show', image]).trim();
    try {
      run('mount.exfat-fuse', [loop, mountPoint]);
    } catch (e) {
      run('losetup', ['-d', loop]);
      throw e;
    }
  } else {
    run('truncate', ['-s', '16M', image]);
    run('mkntfs', ['-F', '-Q', image]);
    run('ntfs-3g', [image, mountPoint]);
  }
  let mounted = true;
  return {
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        // fuseblk (exfat-fuse as root) is unmounted by umount; fusermount does the others.
        if (kind === 'exfat') run('umount', [mountPoint]);
        else run('fusermount', ['-u', mountPoint]);
      } finally {
        if (loop !== undefined) run('losetup', ['-d', loop]);
      }
    },
  };
}
