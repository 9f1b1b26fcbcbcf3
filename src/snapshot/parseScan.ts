import type { Entry, EntryType } from '../types.js';
import { SCAN_MAGIC } from '../transport/scanScript.js';

/** What one machine's scan output says. */
export interface ScanOutput {
  readonly uname: string;
  /** Remote clock, seconds since the epoch. */
  readonly clock: number;
  readonly rootExists: boolean;
  readonly entries: Map<string, Entry>;
  /** False when the output stopped before its end marker (connection cut, script killed). */
  readonly complete: boolean;
  /** Special files (sockets, fifos, devices) passed over. */
  readonly skipped: number;
}

const TYPES: Record<string, EntryType | undefined> = { f: 'file', d: 'dir', l: 'symlink' };

/**
 * Incremental parser of the NUL-separated scan stream (see transport/scanScript.ts):
 * feed chunks with `push` as they arrive, then `finish`.
 */
export class ScanParser {
  private pending: Buffer | null = null;
  private header: string[] = [];
  private record: string[] = [];
  private ended = false;
  private skippedCount = 0;
  private readonly entries = new Map<string, Entry>();
  /** Called once, with the remote clock, as soon as it has arrived. */
  onClock?: (clock: number) => void;

  /** Consumes one chunk of output. */
  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    // Decode up to the last NUL in one go: a NUL byte never sits inside a UTF-8 sequence,
    // so a character split across chunks stays whole in `pending`.
    const last = buf.lastIndexOf(0);
    if (last === -1) {
      this.pending = buf;
      return;
    }
    this.pending = last + 1 < buf.length ? buf.subarray(last + 1) : null;
    const fields = buf.toString('utf8', 0, last).split('\0');
    for (let i = 0; i < fields.length; i++) this.field(fields[i]);
  }

  private field(value: string): void {
    if (this.ended) return;
    if (this.header.length < 4) {
      this.header.push(value);
      if (this.header.length === 1 && value !== SCAN_MAGIC) throw new Error(`unexpected scan output (got ${JSON.stringify(value.slice(0, 40))})`);
      if (this.header.length === 3) this.onClock?.(Number(value));
      if (this.header.length === 4 && value !== 'root' && value !== 'noroot') throw new Error('unexpected scan output header');
      return;
    }
    if (this.record.length === 0 && value === 'end') {
      this.ended = true;
      return;
    }
    this.record.push(value);
    if (this.record.length === 6) {
      this.addRecord(this.record);
      this.record = [];
    }
  }

  private addRecord([rawPath, y, mtime, size, mode, link]: string[]): void {
    const type = TYPES[y];
    if (!rawPath.startsWith('./')) throw new Error(`unexpected path in scan output: ${JSON.stringify(rawPath.slice(0, 80))}`);
    if (type === undefined) {
      this.skippedCount++;
      return;
    }
    const path = rawPath.slice(2);
    const entry: Entry =
      type === 'symlink'
        ? { type, mtime: Number(mtime), size: Number(size), mode: parseInt(mode, 8), target: link }
        : { type, mtime: Number(mtime), size: type === 'dir' ? 0 : Number(size), mode: parseInt(mode, 8) };
    this.entries.set(path, Object.freeze(entry));
  }

  /** The parsed output; `complete` tells whether the end marker arrived. */
  finish(): ScanOutput {
    return {
      uname: this.header[1] ?? '',
      clock: Number(this.header[2] ?? NaN),
      rootExists: this.header[3] === 'root',
      entries: this.entries,
      complete: this.ended,
      skipped: this.skippedCount,
    };
  }
}
