// What a machine remembers of the last time a blat found every machine alike: the file
// ROOT/.blat/sets/SET/seen-SCOPE (SCOPE: the paths scanned), one line
// `blat-seen-1 DIGEST TOKEN PATHS FILES`:
// - DIGEST, the sha256 (hex) of this machine's listing of those paths then, or `-` when an apply
//   wrote the machine and left it alike without listing it again (pending: it is never "same", it
//   sends its listing, to be compared with the controller's copy of that token's listing);
// - TOKEN, the id of that finding (SYNC_ID), the same on every machine found alike with it;
// - PATHS and FILES, how many paths were alike everywhere, and how many of them are files or symlinks.
// So a machine whose listing still has DIGEST holds exactly what it held then: its scan answers
// "same" with the line instead of its listing (transport/scanScript.ts), and when every machine
// answers with one TOKEN, they are still alike, and nothing needs to be sent or parsed. It is
// written by the blat that found them alike (observe/seenRecord.ts); an apply removes it on
// every machine it locks (transport/lockScript.ts), as that machine's tree is about to change.
import { createHash } from 'node:crypto';
import { SYNC_ID } from './machineBase.js';

/** The first word of a seen line. */
export const SEEN_MAGIC = 'blat-seen-1';

/** What a seen line says. */
export interface SeenLine {
  /** null: pending (`-`), the machine was written by the apply that found them alike, and not listed since. */
  readonly digest: string | null;
  readonly token: string;
  readonly paths: number;
  readonly files: number;
}

/** The file name, in the set's folder, of the seen line for a scan of `paths` (in the order scanned). */
export function buildSeenFileName(paths: readonly string[]): string {
  return `seen-${createHash('sha256').update(paths.join('\0')).digest('hex').slice(0, 12)}`;
}

/** The line for `seen` (with its newline). */
export function renderSeenLine(seen: SeenLine): string {
  if ((seen.digest !== null && !/^[0-9a-f]{64}$/.test(seen.digest)) || !SYNC_ID.test(seen.token)) throw new Error('not a seen line');
  return `${SEEN_MAGIC} ${seen.digest ?? '-'} ${seen.token} ${seen.paths} ${seen.files}\n`;
}

/** What a seen line says; undefined when it is not one. */
export function parseSeenLine(line: string): SeenLine | undefined {
  const m = /^blat-seen-1 ([0-9a-f]{64}|-) ([0-9a-z-]{1,64}) ([0-9]{1,15}) ([0-9]{1,15})\n?$/.exec(line);
  if (!m) return undefined;
  return { digest: m[1] === '-' ? null : m[1], token: m[2], paths: Number(m[3]), files: Number(m[4]) };
}
