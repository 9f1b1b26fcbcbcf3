// The machine state table (`blat machines`) as text and as JSON.
import type { MachineState, MachineStateRecord, OsKind } from '../types.js';
import { formatAgo, formatClockOffset } from './format.js';
import { buildPaint, renderTable, type Paint } from './style.js';
import { sanitizeForTerminal as safe } from '../escape.js';

export interface MachinesTextOptions {
  readonly color: boolean;
  /** Now, ms since the epoch, for the relative "last seen" column. */
  readonly nowMs: number;
  /** The machine blat runs on, marked `(self)`. */
  readonly selfName?: string;
}

/** One row of `blat machines --json`. */
export interface MachineRowDoc {
  readonly name: string;
  readonly state: MachineState;
  readonly os?: OsKind;
  readonly reason?: string;
  /** ISO 8601 UTC (milliseconds) of the last successful contact. */
  readonly lastSeen?: string;
  readonly lastSeenMs?: number;
  readonly clockOffsetMs?: number;
  /** State offline: it answered, but its root does not exist. */
  readonly rootMissing?: true;
}

export interface MachinesDocument {
  readonly formatVersion: 1;
  readonly machines: readonly MachineRowDoc[];
}

function paintState(p: Paint, state: MachineState, rootMissing?: true): string {
  if (rootMissing) return p('red', 'root missing');
  if (state === 'online') return p('green', state);
  if (state === 'offline') return p('red', state);
  return p('dim', state);
}

/** The machine state table: name, state, os, last seen (relative to `nowMs`), clock offset, reason. */
export function renderMachinesText(rows: readonly MachineStateRecord[], opts: MachinesTextOptions): string {
  const p = buildPaint(opts.color);
  const head = ['machine', 'state', 'os', 'last seen', 'clock', 'reason'].map((h) => p('bold', h));
  const body = rows.map((r) => [
    r.name === opts.selfName ? `${safe(r.name)} ${p('bold', '(self)')}` : safe(r.name),
    paintState(p, r.state, r.rootMissing),
    r.os ?? '',
    r.lastSeenMs === undefined ? 'never' : formatAgo(r.lastSeenMs, opts.nowMs),
    r.clockOffsetMs === undefined ? '' : formatClockOffset(r.clockOffsetMs),
    r.reason === undefined ? '' : safe(r.reason),
  ]);
  return `${renderTable(body, { head })}\n`;
}

/** The machine state table as the JSON value printed by `blat machines --json`. */
export function buildMachinesDocument(rows: readonly MachineStateRecord[]): MachinesDocument {
  return {
    formatVersion: 1,
    machines: rows.map((r) => {
      const doc: { -readonly [K in keyof MachineRowDoc]: MachineRowDoc[K] } = { name: r.name, state: r.state };
      if (r.os !== undefined) doc.os = r.os;
      if (r.reason !== undefined) doc.reason = r.reason;
      if (r.lastSeenMs !== undefined) {
        const d = new Date(r.lastSeenMs);
        if (!Number.isNaN(d.getTime())) doc.lastSeen = d.toISOString();
        doc.lastSeenMs = r.lastSeenMs;
      }
      if (r.clockOffsetMs !== undefined) doc.clockOffsetMs = r.clockOffsetMs;
      if (r.rootMissing) doc.rootMissing = true;
      return doc;
    }),
  };
}
