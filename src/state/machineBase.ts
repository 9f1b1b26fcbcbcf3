// A machine's own part of the base, kept on the machine in ROOT/.blat/sets/SET/ (config/setName.ts):
// - `base-ID`, one file per sync ID, written once under its own name and never changed: scan
//   records (`./path\0type\0mtime\0size\0mode\0target\0`, see transport/scanScript.ts), so that
//   the scan's parser reads them, plus `./path\0x\0\0\0\0\0` for a path no longer held.
// - `head`: one line `blat-base-1 CHAIN JSON`. CHAIN names the files that make the base, oldest
//   first, comma-separated: the first holds every entry, each later one what a sync changed (read
//   in order, a later record replaces an earlier one; an `x` record removes it). The last is the id
//   of the last sync that wrote or verified the machine; JSON is that sync's identity
//   (MachineBaseHead). An apply that changed few paths adds a file to the chain; one that changed
//   many, or finds the chain long, writes a whole new first file. The head is replaced (renamed
//   over) after its files are in place, so a kill at any instant leaves a head naming whole files.
import { randomBytes } from 'node:crypto';
import { encodeFsText } from '../fsText.js';
import type { Entry } from '../types.js';
import { isRecord } from './fsErrors.js';

/** The first word of a head line. */
export const BASE_HEAD_MAGIC = 'blat-base-1';
/** A sync id: safe as a file name part and as a shell word. */
export const SYNC_ID = /^[0-9a-z-]{1,64}$/;

/** A new sync id (SYNC_ID): the time (base 36) and 6 random hex digits. */
export function buildSyncId(nowMs: number): string {
  return `${nowMs.toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** What a machine's head says of the sync that wrote its base. */
export interface MachineBaseHead {
  /** The sync's id (SYNC_ID): the last of `chain`. */
  readonly id: string;
  /** The ids of the files `base-ID` that make the base, oldest (the whole one) first. */
  readonly chain: readonly string[];
  /** Records in the first file of the chain. */
  readonly rows: number;
  /** Records in the later files of the chain. */
  readonly logRows: number;
  readonly set: string;
  /** ISO 8601 time of the sync (the controller's clock). */
  readonly at: string;
  /** The controller that ran it. */
  readonly by: { readonly host: string; readonly pid: number };
  /** Sync paths the machine was synced for (Base.covered): under them, no entry in the body means it held nothing. */
  readonly paths: readonly string[];
  /** Every machine whose base that sync wrote (a machine named here and holding no head has lost its own). */
  readonly machines: readonly string[];
  /** Files and symlinks the base holds inside each sync path of `paths` (none for a sync path that is a file). */
  readonly files: Readonly<Record<string, number>>;
}

/** The head line for `head` (no newline inside: JSON escapes them). */
export function renderBaseHead(head: MachineBaseHead): string {
  if (!head.chain.every((id) => SYNC_ID.test(id)) || head.chain[head.chain.length - 1] !== head.id) throw new Error(`not a chain of sync ids: ${head.chain.join(',')}`);
  const { id: _id, chain, ...rest } = head;
  return `${BASE_HEAD_MAGIC} ${chain.join(',')} ${JSON.stringify(rest)}\n`;
}

/** The head a head line says; undefined when it is not one (damaged, another format). */
export function parseBaseHead(line: string): MachineBaseHead | undefined {
  const m = /^blat-base-1 ([0-9a-z-]{1,64}(?:,[0-9a-z-]{1,64})*) (\{.*\})\n?$/s.exec(line);
  if (!m) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(m[2]);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.set !== 'string' || typeof value.at !== 'string') return undefined;
  const by = value.by;
  if (!isRecord(by) || typeof by.host !== 'string' || typeof by.pid !== 'number') return undefined;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');
  if (!strings(value.paths) || !strings(value.machines)) return undefined;
  const files = value.files;
  if (!isRecord(files) || !Object.values(files).every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined;
  const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!count(value.rows) || !count(value.logRows)) return undefined;
  const chain = m[1].split(',');
  return Object.freeze({ id: chain[chain.length - 1], chain, rows: value.rows, logRows: value.logRows, set: value.set, at: value.at, by: { host: by.host, pid: by.pid }, paths: value.paths, machines: value.machines, files: files as Record<string, number> });
}

const TYPE_LETTER: Record<Entry['type'], string> = { file: 'f', dir: 'd', symlink: 'l' };

/** The whole first file of a machine's base: one scan record per entry (any order). */
export function renderBaseBody(entries: ReadonlyMap<string, Entry>): Buffer {
  return renderBaseRecords(entries, entries.keys());
}

/** A later file of a machine's base: the record of each of `paths` in `entries`, or its `x` record when it holds nothing there. */
export function renderBaseRecords(entries: ReadonlyMap<string, Entry>, paths: Iterable<string>): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  for (const path of paths) {
    const e = entries.get(path);
    text += e === undefined ? `./${path}\0x\0\0\0\0\0` : `./${path}\0${TYPE_LETTER[e.type]}\0${String(e.mtime)}\0${e.size}\0${e.mode.toString(8)}\0${e.target ?? ''}\0`;
    if (text.length > 1 << 16) {
      parts.push(encodeFsText(text));
      text = '';
    }
  }
  if (text !== '') parts.push(encodeFsText(text));
  return Buffer.concat(parts);
}

/**
 * Files and symlinks of `entries` inside each of `paths` (a sync path that is itself a file counts
 * none: deleting it is a deletion, never an emptied disk).
 */
export function countBaseFiles(entries: ReadonlyMap<string, Entry> | undefined, paths: readonly string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(paths.map((p) => [p, 0]));
  if (entries === undefined) return out;
  entries.forEach((e, path) => {
    if (e.type === 'dir') return;
    for (const p of paths) if (path.startsWith(`${p}/`)) out[p]++;
  });
  return out;
}
