// A FAT16 filesystem in user space for tests (see fuseDisk.ts): an image made by mkfs.vfat,
// mounted by fusefat (this kernel has no vfat module). Debian packages fusefat and dosfstools.
import { findFuseDiskSkipReason, mountFuseDisk, type FuseDiskMount } from './fuseDisk.js';

/** Why a FAT image cannot be mounted here; undefined when it can. */
export function findFatSkipReason(): string | undefined {
  return findFuseDiskSkipReason('fat');
}

/** A mounted FAT image; `unmount` may be called more than once. */
export type FatMount = FuseDiskMount;

/** Makes a 32 MiB FAT16 image in `imageDir` and mounts it on the (empty, existing) folder `mountPoint`, fusefat running under time zone `tz`. */
export function mountFat(imageDir: string, mountPoint: string, tz = 'UTC'): FatMount {
  return mountFuseDisk('fat', imageDir, mountPoint, tz);
}
