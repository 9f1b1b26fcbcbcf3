// The journal (journal.jsonl): one JSON record per line, appended and fsynced as apply goes,
// read back tolerantly (a kill mid-write leaves at most one incomplete last line).
import { mkdir, open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { BlatError } from '../errors.js';
import type { JournalRecord, Step } from '../types.js';
import { syncDirectory, writeFileAtomic } from './atomicWrite.js';
import { describeError, errorCode } from './fsErrors.js';
import { JournalParser } from './journalParser.js';
import { journalPath } from './paths.js';

/** Records rendered into one write by appendMany: no one string holds an apply's hundreds of thousands of lines. */
const WRITE_BATCH_RECORDS = 10_000;
/** Bytes readJournal reads at a time. */
const READ_CHUNK_BYTES = 1 << 20;

/** An open journal. */
export interface JournalWriter {
  readonly file: string;
  /** Appends one record as one line and fsyncs: durable when the promise resolves. Calls are serialised. */
  append(record: JournalRecord): Promise<void>;
  /** Appends several records, WRITE_BATCH_RECORDS lines a write, and one fsync (all durable when the promise resolves). */
  appendMany(records: readonly JournalRecord[]): Promise<void>;
  /** Waits for pending appends, then closes the file. */
  close(): Promise<void>;
}

/** Something still owed to a machine at a path, according to the journal. */
export interface OwedItem {
  readonly path: string;
  readonly machine: string;
  /** ms since the epoch of the first record that made it owed. */
  readonly since: number;
  /** Why, from the latest record about it. */
  readonly reason: string;
  /** The event of the latest record that kept it owed. */
  readonly kind: 'deferred' | 'failed' | 'stale' | 'planned';
}

/**
 * Opens STATEDIR/journal.jsonl for appending, creating it (and the directory) if needed.
 * If a previous run was killed mid-line, a newline is added first so the next record starts clean.
 */
export async function openJournal(stateDir: string): Promise<JournalWriter> {
  const file = journalPath(stateDir);
  let handle: FileHandle;
  try {
    await mkdir(stateDir, { recursive: true });
    handle = await open(file, 'a+');
  } catch (error) {
    throw new BlatError(`${file}: cannot open the journal (${describeError(error)})`, { cause: error });
  }
  let needsNewline: boolean;
  try {
    needsNewline = await endsMidLine(handle);
    await syncDirectory(stateDir);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw new BlatError(`${file}: cannot open the journal (${describeError(error)})`, { cause: error });
  }

  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  const writeRecords = async (records: readonly JournalRecord[]): Promise<void> => {
    try {
      if (needsNewline) await writeAll(handle, Buffer.from('\n'));
      for (const data of renderJournalBatches(records)) {
        await writeAll(handle, data);
        needsNewline = false;
      }
      await handle.sync();
    } catch (error) {
      needsNewline = true; // a partial line may be on disk: start the next record on a fresh line
      throw new BlatError(`${file}: cannot append to the journal (${describeError(error)})`, { cause: error });
    }
  };

  const appendMany = (records: readonly JournalRecord[]): Promise<void> => {
    if (closed) return Promise.reject(new BlatError(`${file}: journal already closed`));
    if (records.length === 0) return tail;
    const result = tail.then(() => writeRecords(records));
    tail = result.catch(() => undefined);
    return result;
  };

  return {
    file,
    append: (record: JournalRecord): Promise<void> => appendMany([record]),
    appendMany,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await tail;
      await handle.close();
    },
  };
}

/** Each step's JSON, made once however many records (planned, then done…) carry it. */
const stepJson = new WeakMap<Step, string>();

/**
 * One record as one line: as JSON.stringify writes it (the same keys, in the same order), with
 * the step's JSON reused: an apply of 100,000s of steps writes each twice.
 */
function renderJournalLine(record: JournalRecord): string {
  if (!('step' in record)) return `${JSON.stringify(record)}\n`;
  let step = stepJson.get(record.step);
  if (step === undefined) stepJson.set(record.step, (step = JSON.stringify(record.step)));
  const reason = 'reason' in record ? `,"reason":${JSON.stringify(record.reason)}` : '';
  return `{"t":${JSON.stringify(record.t)},"event":"${record.event}","run":${JSON.stringify(record.run)},"step":${step}${reason}}\n`;
}

/** The records' lines, WRITE_BATCH_RECORDS to a buffer: no one string holds hundreds of thousands of them. */
function* renderJournalBatches(records: readonly JournalRecord[]): Generator<Buffer> {
  for (let i = 0; i < records.length; i += WRITE_BATCH_RECORDS) yield Buffer.from(records.slice(i, i + WRITE_BATCH_RECORDS).map(renderJournalLine).join(''), 'utf8');
}

/** True when the file is non-empty and its last byte is not a newline. */
async function endsMidLine(handle: FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const buffer = Buffer.alloc(1);
  await handle.read(buffer, 0, 1, size - 1);
  return buffer[0] !== 0x0a;
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Reads every valid record of the journal, in order. Never fails on content:
 * an incomplete last line (a kill mid-write) or a damaged line elsewhere is
 * skipped and reported in `problems` as `FILE:LINE: …`. No file = no records.
 * Read a chunk at a time, a line at a time: no string holds the whole journal.
 * `only`: the lines holding these bytes alone are read (see JournalParser).
 */
export async function readJournal(stateDir: string, only?: Buffer): Promise<{ records: JournalRecord[]; problems: string[] }> {
  const records: JournalRecord[] = [];
  const problems = await scanJournal(stateDir, (record) => records.push(record), only);
  return { records, problems };
}

/** The journal's `begin` records alone, in order (the other lines are skipped unparsed). */
export async function readJournalBegins(stateDir: string): Promise<JournalRecord[]> {
  return (await readJournal(stateDir, BEGIN_MARK)).records;
}

/**
 * What the journal owes (buildOwed) and its problems (as readJournal reports them), read
 * without keeping its records: a journal of millions of lines costs the memory of what it owes.
 */
export async function readOwedJournal(stateDir: string): Promise<{ owed: OwedItem[]; problems: string[] }> {
  const owing = trackOwed([]);
  const problems = await scanJournal(stateDir, (record, line) => owing.visit(record, line));
  return { owed: owing.items(), problems };
}

/** Hands each valid record of the journal to `onRecord` with its line number, in order (only those of `lines`, when given); returns the problems (see readJournal). */
async function scanJournal(stateDir: string, onRecord: (record: JournalRecord, line: number) => void, only?: Buffer, lines?: ReadonlySet<number>): Promise<string[]> {
  const file = journalPath(stateDir);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw new BlatError(`${file}: cannot read (${describeError(error)})`, { cause: error });
  }
  try {
    const parser = new JournalParser(file, only, onRecord, lines);
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      parser.push(chunk.subarray(0, bytesRead));
    }
    return parser.finish().problems;
  } catch (error) {
    throw new BlatError(`${file}: cannot read (${describeError(error)})`, { cause: error });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Calls `visit` with each (path, machine) pair a record is about (a move: its new and its old path), none for begin/end; true once a call returns true. */
function someRecordKey(record: JournalRecord, visit: (path: string, machine: string) => boolean | void): boolean {
  switch (record.event) {
    case 'planned':
    case 'done':
    case 'failed':
    case 'stale': {
      const { step } = record;
      if (visit(step.path, step.to) === true) return true;
      return step.action === 'move' && step.was !== undefined && visit(step.was, step.to) === true;
    }
    case 'deferred':
    case 'settled':
      return visit(record.path, record.machine) === true;
    default:
      return false;
  }
}

/**
 * What is still owed, from the journal's records in order (pure).
 * A (path, machine) becomes owed by a `deferred` record, a `failed` or `stale`
 * record (machine = step.to; a move step: its new and its old path), or a `planned` record with no later outcome (a
 * killed apply); it stops being owed at a later `done` (step.to) or `settled`
 * record for it. `since` is the time of the record that first made it owed;
 * `kind` and `reason` come from the latest. Sorted by machine, then since, then path.
 */
export function buildOwed(records: readonly JournalRecord[]): OwedItem[] {
  return advanceOwed([], records);
}

/** What keeps a (path, machine) owed while its records are read: when it became owed, the latest record (or the item it was before), and the lines of its records since it became owed. */
interface Owing {
  readonly since: number;
  record?: JournalRecord;
  item?: OwedItem;
  /** Kept only when asked (trackOwed's `keepLines`). */
  readonly lines?: number[];
}

/** What is owed after `records`, given what was owed before them (pure; see buildOwed). */
export function advanceOwed(before: readonly OwedItem[], records: readonly JournalRecord[]): OwedItem[] {
  const owing = trackOwed(before);
  for (const record of records) owing.visit(record, 0);
  return owing.items();
}

/**
 * What is owed, record by record (see buildOwed): `visit` each record in order, with its line,
 * then `items`. With `keepLines`, `lines` gives the lines of the records that keep it owed (for
 * each pair owed, its records since it last stopped being owed: from them alone buildOwed gives
 * the same items).
 */
function trackOwed(before: readonly OwedItem[], keepLines = false): { visit(record: JournalRecord, line: number): void; items(): OwedItem[]; lines(): Set<number> } {
  // Machine → path → Owing: no item (nor reason) is made for a step until it is known still owed.
  const owed = new Map<string, Map<string, Owing>>();
  const on = (machine: string) => {
    let paths = owed.get(machine);
    if (paths === undefined) owed.set(machine, (paths = new Map()));
    return paths;
  };
  for (const o of before) on(o.machine).set(o.path, { since: o.since, item: o });
  const visitPair = (record: JournalRecord, line: number, path: string, machine: string) => {
    const paths = on(machine);
    if (record.event === 'done' || record.event === 'settled') {
      paths.delete(path);
      return;
    }
    const was = paths.get(path);
    if (was === undefined) paths.set(path, { since: record.t, record, ...(keepLines ? { lines: [line] } : {}) });
    else {
      was.record = record;
      was.item = undefined;
      was.lines?.push(line);
    }
  };
  return {
    visit: (record, line) => void someRecordKey(record, (path, machine) => visitPair(record, line, path, machine)),
    items() {
      const items: OwedItem[] = [];
      for (const [machine, paths] of owed) for (const [path, o] of paths) items.push(o.item ?? buildOwedItem(path, machine, o.since, o.record!));
      return items.sort(compareOwed);
    },
    lines() {
      const lines = new Set<number>();
      for (const paths of owed.values()) for (const o of paths.values()) for (const line of o.lines ?? []) lines.add(line);
      return lines;
    },
  };
}

/** The item for a (path, machine) owed since `since`, its kind and reason from the latest record that keeps it owed. */
function buildOwedItem(path: string, machine: string, since: number, record: JournalRecord): OwedItem {
  if (record.event === 'planned') return { path, machine, since, reason: `apply stopped before this step finished (run ${record.run})`, kind: 'planned' };
  if (record.event === 'failed' || record.event === 'stale' || record.event === 'deferred') return { path, machine, since, reason: record.reason, kind: record.event };
  throw new Error(`not a record that keeps a path owed: ${record.event}`);
}

function compareOwed(a: OwedItem, b: OwedItem): number {
  if (a.machine !== b.machine) return a.machine < b.machine ? -1 : 1;
  if (a.since !== b.since) return a.since - b.since;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return 0;
}

/** Journal size above which compactJournal rewrites it, by default. */
export const JOURNAL_COMPACT_BYTES = 8 * 1024 * 1024;

/** The bytes every `begin` record's line holds (a name cannot: its quotes are escaped). */
const BEGIN_MARK = Buffer.from('"event":"begin"');

/**
 * When the journal exceeds `maxBytes`, rewrites it atomically keeping only the
 * records about the (path, machine) pairs still owed (so buildOwed gives the same
 * answer afterwards); returns what it owes when it did, null when it did not. Read
 * twice, its records never all held: once for what is owed (noting each record's line),
 * then only the lines to keep are parsed again.
 * `nothingOwed` (the owed index says so): only the begin records stay, and the journal
 * is read for them alone (after a first sync of a million files, a few seconds). Call it
 * holding the lock, with no JournalWriter open (a writer opened before would keep
 * appending to the old file).
 */
export async function compactJournal(stateDir: string, maxBytes: number = JOURNAL_COMPACT_BYTES, nothingOwed = false): Promise<OwedItem[] | null> {
  const file = journalPath(stateDir);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new BlatError(`${file}: cannot read (${describeError(error)})`, { cause: error });
  }
  if (size <= maxBytes) return null;
  if (nothingOwed) {
    await writeCompactJournal(stateDir, await readJournalBegins(stateDir));
    return [];
  }
  // Read once for what is owed, noting the lines that keep it owed and the begin records'; then only those lines are parsed again.
  const owing = trackOwed([], true);
  const beginLines: number[] = [];
  await scanJournal(stateDir, (record, line) => {
    owing.visit(record, line);
    if (record.event === 'begin') beginLines.push(line);
  });
  const owed = owing.items();
  const lines = owing.lines();
  for (const line of beginLines.slice(-KEPT_BEGIN_RECORDS)) lines.add(line);
  const kept: JournalRecord[] = [];
  await scanJournal(stateDir, (record) => kept.push(record), undefined, lines);
  await writeFileAtomic(journalPath(stateDir), Buffer.concat([...renderJournalBatches(kept)]));
  return owed;
}

/** Rewrites the journal atomically with `records` as buildCompactJournal keeps them. */
export async function writeCompactJournal(stateDir: string, records: readonly JournalRecord[]): Promise<void> {
  // Rendered a batch at a time: what a killed apply of a million steps still owes is more than a string holds.
  await writeFileAtomic(journalPath(stateDir), Buffer.concat([...renderJournalBatches(buildCompactJournal(records))]));
}

/** `begin` records a compaction keeps (the latest): what shows a saved plan was applied already. */
export const KEPT_BEGIN_RECORDS = 1000;

/**
 * The records a compaction keeps, in their original order (pure): for each (path, machine) still
 * owed, its records since it last stopped being owed (buildOwed gives the same items from them),
 * and the latest KEPT_BEGIN_RECORDS `begin` records.
 */
export function buildCompactJournal(records: readonly JournalRecord[]): JournalRecord[] {
  const owing = trackOwed([], true);
  records.forEach((record, i) => owing.visit(record, i));
  const kept = owing.lines();
  const begins = records.flatMap((r, i) => (r.event === 'begin' ? [i] : []));
  for (const i of begins.slice(-KEPT_BEGIN_RECORDS)) kept.add(i);
  return records.filter((_, i) => kept.has(i));
}
