// `blat trash`: what each machine's trash holds, as text and as JSON.
import type { KeptVersion } from '../transport/trashStoreScript.js';
import { parseTrashRun } from '../apply/trashRun.js';
import { formatAgo, formatIsoSeconds, formatSize, plural } from './format.js';
import { buildPaint, renderTable } from './style.js';
import { sanitizeForTerminal as safe } from '../escape.js';

/** One machine's trash as listed: its kept versions, or why it could not be read. */
export interface MachineTrash {
  readonly machine: string;
  readonly kept?: readonly KeptVersion[];
  /** Set when the machine could not be listed (unreachable, root missing…). */
  readonly problem?: string;
}

/** Every kept version of the listing, machines in the given order, then newest run first, then path. */
function rowsOf(trash: readonly MachineTrash[]): { machine: string; k: KeptVersion }[] {
  return trash.flatMap((t) =>
    [...(t.kept ?? [])].sort((a, b) => (a.run === b.run ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.run < b.run ? 1 : -1)).map((k) => ({ machine: t.machine, k })),
  );
}

/** The text view: one row per kept version (machine, run time, path, size), the machines not read, a hint to restore. */
export function renderTrashText(trash: readonly MachineTrash[], opts: { color: boolean; nowMs: number }): string {
  const p = buildPaint(opts.color);
  const lines: string[] = [];
  for (const t of trash) if (t.problem !== undefined) lines.push(p('yellow', `${safe(t.machine)}: not listed (${safe(t.problem)})`));
  const rows = rowsOf(trash);
  if (rows.length === 0) {
    lines.push('Nothing is kept in trash on the machines listed.');
    return lines.join('\n') + '\n';
  }
  const table = rows.map(({ machine, k }) => {
    const at = parseTrashRun(k.run);
    return [safe(machine), safe(k.run), at === undefined ? '' : formatAgo(at, opts.nowMs), safe(k.path), k.type === 'symlink' ? 'link' : formatSize(k.size), formatIsoSeconds(k.mtime * 1000)];
  });
  const head = ['machine', 'run', 'kept', 'path', 'size', 'mtime'].map((h) => p('bold', h));
  lines.push(renderTable(table, { head }));
  const machines = new Set(rows.map((r) => r.machine)).size;
  const bytes = rows.reduce((n, r) => n + (r.k.type === 'file' ? r.k.size : 0), 0);
  lines.push(`${plural(rows.length, 'version', 'versions')} kept on ${plural(machines, 'machine', 'machines')} (${formatSize(bytes)}).`);
  lines.push(p('dim', 'Put one back with: blat trash restore PATH --machine MACHINE [--run RUN]'));
  return lines.join('\n') + '\n';
}

/** The listing as a JSON value for `blat trash --json`. */
export function buildTrashDocument(trash: readonly MachineTrash[]): object {
  return {
    formatVersion: 1,
    machines: trash.map((t) => (t.problem === undefined ? { name: t.machine, listed: true } : { name: t.machine, listed: false, reason: t.problem })),
    kept: rowsOf(trash).map(({ machine, k }) => {
      const at = parseTrashRun(k.run);
      return { machine, run: k.run, time: at === undefined ? null : new Date(at).toISOString(), path: k.path, type: k.type, size: k.size, mtime: k.mtime };
    }),
  };
}
