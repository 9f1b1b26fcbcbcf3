// `blat diff` output: a unified diff of two text versions, or a comparison of two binary ones. Pure.
import { createTwoFilesPatch } from 'diff';
import { sanitizeForTerminal } from '../escape.js';
import type { Entry } from '../types.js';
import { formatSize } from './format.js';

/** One side of a diff: which machines hold the version, what it is, and its content when read. */
export interface DiffSide {
  readonly machines: readonly string[];
  readonly entry: Entry;
  /** The text (valid UTF-8, no NUL); undefined when the version is binary or too large to show. */
  readonly text?: string;
  /** sha256 (hex) of the content, when known. */
  readonly sha256?: string;
}

/** `2024-05-01 12:34:56.123456789 UTC`: an mtime to the nanosecond the float keeps. */
function formatExactMtime(seconds: number): string {
  const whole = Math.floor(seconds);
  const iso = new Date(whole * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const frac = Math.round((seconds - whole) * 1e9);
  return frac === 0 ? `${iso} UTC` : `${iso}.${String(frac).padStart(9, '0').replace(/0+$/, '')} UTC`;
}

/** `m2, m3:docs/f.txt`: the version's label, escaped. */
function label(side: DiffSide, path: string): string {
  return sanitizeForTerminal(`${side.machines.join(', ')}:${path}`);
}

/** One line of file content made safe for a terminal (tabs kept, every other control escaped). */
function safeLine(line: string): string {
  return line.split('\t').map(sanitizeForTerminal).join('\t');
}

/** A unified diff (3 lines of context) between two text versions of `path`; `a` is the old side. */
export function renderTextDiff(path: string, a: DiffSide, b: DiffSide): string {
  const header = (s: DiffSide) => `${formatExactMtime(s.entry.mtime)}, ${formatSize(s.entry.size)}, mode ${s.entry.mode.toString(8)}`;
  const patch = createTwoFilesPatch(label(a, path), label(b, path), a.text ?? '', b.text ?? '', header(a), header(b), { context: 3 });
  const lines = patch.split('\n');
  if (lines[0]?.startsWith('====')) lines.shift();
  if (lines[lines.length - 1] === '') lines.pop();
  const body = lines.map((l, i) => (i < 2 ? l : safeLine(l)));
  if (body.length <= 2) body.push('(contents identical: the versions differ only in mtime or mode)');
  return `${body.join('\n')}\n`;
}

/** What is known of two versions that are not shown line by line: size, mtime, mode, sha256. */
export function renderBinaryComparison(path: string, a: DiffSide, b: DiffSide, why: string): string {
  const rows = [a, b].map((s) => `  ${label(s, path)}\n    size ${formatSize(s.entry.size)} (${s.entry.size} bytes), mtime ${formatExactMtime(s.entry.mtime)}, mode ${s.entry.mode.toString(8)}\n    sha256 ${s.sha256 ?? 'unknown (no sha256sum or shasum there)'}`);
  const same = a.sha256 !== undefined && a.sha256 === b.sha256 ? 'Same content (sha256): the versions differ only in mtime or mode.' : 'Contents differ.';
  return `${sanitizeForTerminal(path)}: ${why}; compared by size, mtime and sha256.\n${rows.join('\n')}\n${same}\n`;
}
