// Names of conflict copies, in the shape of Syncthing's: STEM.conflict-MACHINE-YYYYMMDD-HHMMSS.EXT.

/**
 * The conflict-copy name of `path` for the version `machine` holds, dated `mtime` (seconds, shown
 * in UTC), beside it in the same folder: `docs/a.txt` → `docs/a.conflict-m2-20240501-120000.txt`.
 * The extension is what follows the last dot of the name (none without one); a name whose only
 * dot leads it (`.bashrc`) is all stem. `n` > 1 adds `-n` before the extension (a free name when
 * the first is taken).
 */
export function buildConflictName(path: string, machine: string, mtime: number, n = 1): string {
  const slash = path.lastIndexOf('/');
  const folder = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const d = new Date(Math.floor(mtime) * 1000);
  const two = (v: number) => String(v).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
  return `${folder}${stem}.conflict-${machine}-${stamp}${n > 1 ? `-${n}` : ''}${ext}`;
}

/** True when `as` is a conflict-copy name of `path` (any machine, time or number), in its folder. */
export function isConflictNameOf(path: string, as: string): boolean {
  const slash = path.lastIndexOf('/');
  if (as.lastIndexOf('/') !== slash || as.slice(0, slash + 1) !== path.slice(0, slash + 1)) return false;
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const rest = as.slice(slash + 1);
  if (!rest.startsWith(`${stem}.conflict-`) || !rest.endsWith(ext)) return false;
  return /^.+-\d{8}-\d{6}(-\d+)?$/.test(rest.slice(stem.length + '.conflict-'.length, rest.length - ext.length));
}
