// find's complaints on a scan's stderr, read as data: which folder could not be read, and why.
//
// stderr is text and file names can say anything, so a complaint is taken at its word only
// when it parses exactly; one that does not is put on every scanned path (all unknown there),
// never dropped: a folder the scan did not see must never look like a folder that was emptied.
import { decodeFsText } from '../fsText.js';
import { collapseNested } from '../config/paths.js';
import type { UnreadableFolder } from '../types.js';

/** What one line of a scan's stderr says. */
export type FindComplaint =
  /** A start point (or a name) that is not there: an absence, not a problem. */
  | { readonly kind: 'gone' }
  /** A folder (or file) find could not read, relative to the root. */
  | { readonly kind: 'unreadable'; readonly path: string; readonly reason: string }
  /** find complained, but where cannot be told for sure. */
  | { readonly kind: 'unknown'; readonly reason: string }
  /** Not find's. */
  | { readonly kind: 'other' };

const GNU = /^find: '(.*)': ([^']+)$/;
const BSD = /^find: (\..*): ([A-Za-z][^:]*)$/;
const SIMPLE_ESCAPES: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, n: 0x0a, t: 0x09, r: 0x0d, a: 0x07, b: 0x08, f: 0x0c, v: 0x0b, '?': 0x3f };

/**
 * The name GNU find quoted in the C locale (`'./a\'b\nc\303\251'`: backslash escapes, octal bytes),
 * or undefined when it holds anything else.
 */
function unquoteGnu(text: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || c < 0x20) return undefined; // the C locale escapes every other byte
    if (text[i] === "'") return undefined; // a bare quote ends the name: the line is not one complaint
    if (text[i] !== '\\') {
      bytes.push(c);
      continue;
    }
    const next = text[++i];
    if (next !== undefined && next in SIMPLE_ESCAPES) bytes.push(SIMPLE_ESCAPES[next]);
    else if (/^[0-7]{3}$/.test(text.slice(i, i + 3))) {
      bytes.push(parseInt(text.slice(i, i + 3), 8));
      i += 2;
    } else return undefined;
  }
  return decodeFsText(Buffer.from(bytes));
}

/** The root-relative path of a name find printed (`./a/b` → `a/b`), or undefined when it is not one under a sync path. */
function relativeName(name: string): string | undefined {
  if (!name.startsWith('./') || name.includes('\uFFFD')) return undefined; // U+FFFD: bytes lost on the way
  const path = name.slice(2).replace(/\/+$/, '');
  return path === '' || path.split('/').some((s) => s === '' || s === '.' || s === '..') ? undefined : path;
}

/** What one stderr line of a scan says (see FindComplaint). */
export function parseFindComplaint(line: string): FindComplaint {
  // find's own warnings (about its options, not about a file) are plain warnings.
  if (!line.startsWith('find: ') || line.startsWith('find: warning: ')) return { kind: 'other' };
  // GNU find quotes the name ('./a'), BSD find does not (./a); ours always start with "./".
  const gnu = GNU.exec(line);
  const m = gnu ?? BSD.exec(line);
  const reason = m ? m[2] : line.slice('find: '.length);
  if (m && reason === 'No such file or directory') return { kind: 'gone' };
  const name = m === null ? undefined : gnu ? unquoteGnu(m[1]) : m[1];
  const path = name === undefined ? undefined : relativeName(name);
  if (path === undefined) return { kind: 'unknown', reason };
  return { kind: 'unreadable', path, reason: reason.charAt(0).toLowerCase() + reason.slice(1) };
}

/**
 * The unreadable folders of a scan's complaints (`scanned`: the sync paths it walked, all
 * unknown when a complaint cannot be placed) and the lines that are not find's.
 */
export function readFindComplaints(lines: readonly string[], scanned: readonly string[]): { unreadable: UnreadableFolder[]; other: string[] } {
  const unreadable: UnreadableFolder[] = [];
  const other: string[] = [];
  for (const line of lines) {
    const c = parseFindComplaint(line);
    if (c.kind === 'other') other.push(line);
    else if (c.kind === 'unreadable') unreadable.push({ path: c.path, reason: c.reason });
    else if (c.kind === 'unknown') for (const path of scanned) unreadable.push({ path, reason: `find: ${c.reason}` });
  }
  return { unreadable, other };
}

/**
 * The folders of `lists` with every one inside another dropped (the outer one stands for it),
 * each with the first reason given for it, in code-unit order.
 */
export function mergeUnreadable(...lists: readonly (readonly UnreadableFolder[])[]): UnreadableFolder[] {
  const reasons = new Map<string, string>();
  for (const list of lists) for (const u of list) if (!reasons.has(u.path)) reasons.set(u.path, u.reason);
  return collapseNested([...reasons.keys()]).map((path) => Object.freeze({ path, reason: reasons.get(path) as string }));
}
