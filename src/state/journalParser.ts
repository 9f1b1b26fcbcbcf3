// The journal's lines parsed from its bytes, fed in chunks (see readJournal).
import type { JournalRecord, Step } from '../types.js';
import { isRecord } from './fsErrors.js';

/** A line longer than this is damage (a record is a few hundred bytes): skipped without being kept whole. */
export const MAX_JOURNAL_LINE_BYTES = 16 * 1024 * 1024;

/**
 * The journal's valid records and its problems (`FILE:LINE: …`), from its bytes fed in chunks of
 * any size (pure). Lines are split at "\n" bytes and each is decoded and parsed alone, so no
 * string ever holds the whole journal (V8 caps a string at 512 MiB; a first sync of a million
 * files to three machines writes more). A blank line is skipped; a damaged one is a problem, and
 * an incomplete last line (a kill mid-write) is one of its own.
 */
export class JournalParser {
  private readonly records: JournalRecord[] = [];
  private readonly problems: string[] = [];
  /** Copies of the current line's bytes seen so far (a line may span chunks). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The current line has passed MAX_JOURNAL_LINE_BYTES: its bytes are no longer kept. */
  private tooLong = false;
  private lineNo = 0;

  /**
   * `only`: lines without these bytes are skipped unread (neither records nor problems); so are
   * lines whose number (from 1) is not in `lines`. `onRecord`: each record is handed to it, with
   * its line number, in order, instead of being kept (finish gives none).
   */
  constructor(
    private readonly file: string,
    private readonly only?: Buffer,
    private readonly onRecord?: (record: JournalRecord, line: number) => void,
    private readonly lines?: ReadonlySet<number>,
  ) {}

  /** Takes the next bytes of the journal (the caller may reuse `chunk` afterwards). */
  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.endLine(chunk.subarray(start, nl), false);
      start = nl + 1;
    }
    this.keep(chunk.subarray(start));
  }

  /** The records and problems, once every byte was pushed. */
  finish(): { records: JournalRecord[]; problems: string[] } {
    if (this.pendingBytes > 0 || this.tooLong) this.endLine(Buffer.alloc(0), true);
    return { records: this.records, problems: this.problems };
  }

  private keep(part: Buffer): void {
    if (part.length === 0 || this.tooLong) return;
    if (this.pendingBytes + part.length > MAX_JOURNAL_LINE_BYTES) {
      this.tooLong = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private endLine(last: Buffer, incomplete: boolean): void {
    this.lineNo++;
    const whole = !this.tooLong && this.pendingBytes + last.length <= MAX_JOURNAL_LINE_BYTES;
    const bytes = whole ? (this.pendingBytes === 0 ? last : Buffer.concat([...this.pending, last])) : undefined;
    this.pending = [];
    this.pendingBytes = 0;
    this.tooLong = false;
    if (this.lines !== undefined && !this.lines.has(this.lineNo)) return;
    if (this.only !== undefined && (bytes === undefined || bytes.indexOf(this.only) === -1)) return;
    const line = bytes?.toString('utf8');
    if (line !== undefined && line.trim() === '') return;
    let record: JournalRecord | undefined;
    if (line !== undefined) {
      try {
        record = checkJournalRecord(JSON.parse(line));
      } catch {
        record = undefined;
      }
    }
    if (record !== undefined) {
      if (this.onRecord) this.onRecord(record, this.lineNo);
      else this.records.push(record);
    }
    else if (incomplete) this.problems.push(`${this.file}:${this.lineNo}: incomplete last record ignored`);
    else this.problems.push(`${this.file}:${this.lineNo}: not a valid journal record, skipped`);
  }
}

/** The value as a JournalRecord when it has the shape of one, else undefined. */
export function checkJournalRecord(value: unknown): JournalRecord | undefined {
  if (!isRecord(value) || typeof value.t !== 'number' || !Number.isFinite(value.t) || typeof value.run !== 'string') return undefined;
  const str = (key: string): boolean => typeof value[key] === 'string';
  switch (value.event) {
    case 'begin':
      return str('command') && str('planDigest') ? (value as unknown as JournalRecord) : undefined;
    case 'planned':
    case 'done':
      return isStep(value.step) ? (value as unknown as JournalRecord) : undefined;
    case 'failed':
    case 'stale':
      return isStep(value.step) && str('reason') ? (value as unknown as JournalRecord) : undefined;
    case 'deferred':
    case 'settled':
      return str('path') && str('machine') && str('reason') ? (value as unknown as JournalRecord) : undefined;
    case 'end':
      return typeof value.exitCode === 'number' ? (value as unknown as JournalRecord) : undefined;
    default:
      return undefined;
  }
}

function isStep(value: unknown): value is Step {
  return (
    isRecord(value) &&
    (value.action === 'pull' || value.action === 'push' || value.action === 'copy' || value.action === 'trash' || (value.action === 'copy-aside' && typeof value.as === 'string') || (value.action === 'move' && typeof value.was === 'string')) &&
    typeof value.path === 'string' &&
    typeof value.from === 'string' &&
    typeof value.to === 'string' &&
    (value.source === null || isRecord(value.source)) &&
    (value.target === null || isRecord(value.target))
  );
}

