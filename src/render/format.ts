// Small pure formatters shared by the renderers: sizes, times, clock offsets, folders.

/** Bytes as `512 B`, `1.5 KiB`, `3.0 MiB`… */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** ms since the epoch as ISO 8601 UTC to the second (`2024-05-01T12:34:56Z`), or the raw number when not a date. */
export function formatIsoSeconds(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  if (Number.isNaN(d.getTime())) return String(ms);
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** An entry mtime (seconds, with fraction) as ISO 8601 UTC to the second. */
export function formatMtime(seconds: number): string {
  return formatIsoSeconds(seconds * 1000);
}

/** A clock offset in ms as `+3.2 s` / `-0.4 s`. */
export function formatClockOffset(ms: number): string {
  const s = ms / 1000;
  return `${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(1)} s`;
}

/** How long before `nowMs` the time `thenMs` was: `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(thenMs: number, nowMs: number): string {
  const s = Math.floor((nowMs - thenMs) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** The folder holding a sync path, with a trailing `/` (`./` at the top). */
export function parentFolder(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? './' : path.slice(0, i + 1);
}

/** `1 file` / `3 files`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A duration in ms as `0.4 s`, `12.3 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}
