// The live progress of an apply, as a pure model: fed with applySteps' progress reports, drawn as
// a few lines (the whole, then one per machine being written). No clock: times are passed in.
import { sanitizeForTerminal as safe } from '../escape.js';
import { formatDuration, formatSize } from './format.js';
import { formatCount } from './summary.js';
import { shortenMiddle } from './width.js';

/** One report of the transfers (see ApplyProgress in apply/applyTypes.ts). */
export interface ProgressReport {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly machines?: readonly { readonly name: string; readonly filesDone: number; readonly filesTotal: number; readonly bytesDone: number; readonly bytesTotal: number }[];
}

/** What the progress view knows. Invariants: `percent`, `filesDone` and `bytesDone` never go back. */
export interface ProgressState {
  readonly startedMs: number;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly percent: number;
  /** (time, bytes done) of the last reports, at most RATE_WINDOW_MS old, oldest first: the rate is measured over them. */
  readonly samples: readonly (readonly [number, number])[];
  readonly machines: ReadonlyMap<string, { readonly filesDone: number; readonly filesTotal: number; readonly bytesDone: number; readonly bytesTotal: number }>;
}

/** The rate is measured over this much of the recent past. */
export const RATE_WINDOW_MS = 10_000;
/** Machine lines drawn at most; a last line says how many more are being written. */
export const MAX_MACHINE_LINES = 8;

/** The state before any report. */
export function buildProgressState(startedMs: number): ProgressState {
  return { startedMs, filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0, percent: 0, samples: [[startedMs, 0]], machines: new Map() };
}

/** How far `done` of `total` is, in whole percent (100 for nothing to do). */
function percentOf(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 100;
}

/** The state after one report at `nowMs`: counts and the percentage only ever grow (a retried transfer's bytes are not counted twice). */
export function updateProgress(state: ProgressState, report: ProgressReport, nowMs: number): ProgressState {
  const filesTotal = Math.max(state.filesTotal, report.filesTotal);
  const bytesTotal = Math.max(state.bytesTotal, report.bytesTotal);
  const filesDone = Math.min(filesTotal, Math.max(state.filesDone, report.filesDone));
  const bytesDone = Math.min(bytesTotal, Math.max(state.bytesDone, report.bytesDone));
  const now = bytesTotal > 0 ? percentOf(bytesDone, bytesTotal) : percentOf(filesDone, filesTotal);
  // Bytes may all be sent before the last files are checked: 100% only once every file is.
  const capped = filesDone < filesTotal ? Math.min(now, 99) : now;
  const samples = [...state.samples.filter(([t]) => nowMs - t <= RATE_WINDOW_MS), [nowMs, bytesDone] as const];
  const machines = new Map(state.machines);
  for (const m of report.machines ?? []) {
    const before = machines.get(m.name);
    machines.set(m.name, {
      filesTotal: m.filesTotal,
      bytesTotal: m.bytesTotal,
      filesDone: Math.max(before?.filesDone ?? 0, Math.min(m.filesDone, m.filesTotal)),
      bytesDone: Math.max(before?.bytesDone ?? 0, Math.min(m.bytesDone, m.bytesTotal)),
    });
  }
  return { ...state, filesDone, filesTotal, bytesDone, bytesTotal, percent: Math.max(state.percent, capped), samples, machines };
}

/** Bytes per second over the recent reports (since the start while they span less than a second); undefined before any byte. */
export function measureRate(state: ProgressState, nowMs: number): number | undefined {
  const recent = state.samples.filter(([t]) => nowMs - t <= RATE_WINDOW_MS);
  const first = recent.length >= 2 && recent[recent.length - 1][0] - recent[0][0] >= 1000 ? recent[0] : ([state.startedMs, 0] as const);
  const elapsed = nowMs - first[0];
  const sent = state.bytesDone - first[1];
  if (elapsed <= 0 || state.bytesDone === 0) return undefined;
  return Math.max(0, sent) / (elapsed / 1000);
}

/** Time left at the current rate, in ms; undefined when it cannot be told. */
export function estimateLeftMs(state: ProgressState, nowMs: number): number | undefined {
  const rate = measureRate(state, nowMs);
  if (rate === undefined || rate <= 0) return undefined;
  return ((state.bytesTotal - state.bytesDone) / rate) * 1000;
}

/**
 * The progress view at `nowMs`, each line at most `width` columns:
 * ` 42%  1,234/20,000 files  12.3 MiB of 29.1 MiB  2.1 MiB/s  8.0 s left`, then one line per
 * machine still being written (`  → m1  1,000/10,000 files  9.0 MiB of 14.5 MiB`).
 */
export function renderProgressLines(state: ProgressState, nowMs: number, width: number): string[] {
  const rate = measureRate(state, nowMs);
  const left = estimateLeftMs(state, nowMs);
  const head = [
    `${String(state.percent).padStart(3)}%`,
    `${formatCount(state.filesDone)}/${formatCount(state.filesTotal)} files`,
    `${formatSize(state.bytesDone)} of ${formatSize(state.bytesTotal)}`,
    rate === undefined ? '' : `${formatSize(Math.round(rate))}/s`,
    left === undefined || state.percent >= 100 ? '' : `${formatDuration(left)} left`,
  ].filter((p) => p !== '');
  const lines = [head.join('  ')];
  const writing = [...state.machines].filter(([, m]) => m.filesTotal > 0 && m.filesDone < m.filesTotal);
  for (const [name, m] of writing.slice(0, MAX_MACHINE_LINES)) {
    lines.push(`  → ${safe(name)}  ${formatCount(m.filesDone)}/${formatCount(m.filesTotal)} files  ${formatSize(m.bytesDone)} of ${formatSize(m.bytesTotal)}`);
  }
  if (writing.length > MAX_MACHINE_LINES) lines.push(`  (and ${writing.length - MAX_MACHINE_LINES} more machines)`);
  return lines.map((l) => shortenMiddle(l, width));
}
