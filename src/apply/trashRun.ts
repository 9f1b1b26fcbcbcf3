// Names of trash runs: the folders under `ROOT/.blat-trash/`, one per apply (or restore).

/** The trash folder under every root. */
export const TRASH_DIR = '.blat-trash';

/** A run's name is its UTC time, folder-safe: `2024-05-01T12-00-00-000Z`. Fixed width, so names sort by time. */
const RUN_NAME = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/;

/** The run name for a time (ms since the epoch). */
export function buildTrashRun(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[:.]/g, '-');
}

/** The time (ms since the epoch) a run name stands for, or undefined when it is not one. */
export function parseTrashRun(name: string): number | undefined {
  const m = RUN_NAME.exec(name);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The run name before which runs are removed when versions are kept `keepDays` days (names sort by time). */
export function buildPruneCutoff(nowMs: number, keepDays: number): string {
  return buildTrashRun(nowMs - keepDays * 86_400_000);
}

/** Where a run keeps the version it replaced at `path`, relative to the root. */
export function buildKeptPath(run: string, path: string): string {
  return `${TRASH_DIR}/${run}/${path}`;
}
