// The base's change log (base.changes.jsonl): what an apply changed in the base, appended
// instead of rewriting all of base.json. One JSON line per write:
//   {"generation": G, "machines": [names…], "paths": [paths…], "entries": [rows…], "covered"?: {name: [sync paths…]}}
// `paths` lists every path whose entry changed on some machine; on every machine, each such
// path now holds what the line's rows (see baseRows.ts, holders index the line's `machines`)
// say, and nothing where no row names the machine. `covered` adds sync paths to the machines' coverage.
// A line whose generation is not base.json's was written before base.json was last rewritten:
// it is already in it, and ignored. A last line without its newline, or not JSON, was cut short
// by a crash: ignored (that apply's update is lost, as it would be from a kill before the
// rename of a rewritten base.json).
import type { Base, BaseCoverage } from '../types.js';
import { isRecord } from './fsErrors.js';
import { isSameBaseEntry, renderBaseRows } from './baseRows.js';

/** One line of the log, checked for shape (its rows are checked as they are added). */
export interface BaseChange {
  /** 1-based line number in the log. */
  readonly line: number;
  readonly machines: readonly string[];
  readonly paths: readonly string[];
  readonly rows: readonly unknown[];
  /** Coverage this line adds (Base.covered). */
  readonly covered?: BaseCoverage;
}

/** The log's lines of `generation`, in order. */
export interface BaseChangeLog {
  readonly changes: readonly BaseChange[];
  /** Bytes up to the end of the last whole line: where the next line may be appended. */
  readonly goodBytes: number;
  /** Some whole line has another generation (left from before base.json was rewritten). */
  readonly stale: boolean;
  /** Paths named by the lines of `generation`, summed. */
  readonly paths: number;
}

/** Paths whose entry differs between `previous` and `next` on some machine (either may lack it). */
export function findChangedBasePaths(previous: Base, next: Base): Set<string> {
  const changed = new Set<string>();
  for (const name of new Set([...previous.keys(), ...next.keys()])) {
    const before = previous.get(name);
    const after = next.get(name);
    if (before === after) continue;
    let found = 0; // paths of `after` that `before` has
    if (after) {
      for (const [path, e] of after) {
        const was = before?.get(path);
        if (was !== undefined) found++;
        if (!isSameBaseEntry(was, e)) changed.add(path);
      }
    }
    // Every path of `before` was found in `after` unless it has more.
    if (before && found < before.size) for (const path of before.keys()) if (!after?.has(path)) changed.add(path);
  }
  return changed;
}

/** The log line saying that `paths` now hold what `next` has there (and that `covered` is now covered too). */
export function renderBaseChange(generation: string, next: Base, paths: readonly string[], covered?: BaseCoverage): string {
  const names = [...next.keys()];
  const parts = [`{"generation":${JSON.stringify(generation)},"machines":${JSON.stringify(names)},"paths":${JSON.stringify(paths)},"entries":[`];
  renderBaseRows(names.map((n) => next.get(n)!), paths, parts, true, '');
  parts.push(covered === undefined ? ']}\n' : `],"covered":${JSON.stringify(Object.fromEntries(covered))}}\n`);
  return parts.join('');
}

/**
 * The lines of `text` (the log file) written for `generation`. A damaged whole line that is
 * not the last is an error, given as the 1-based line number in `damagedLine`.
 */
export function parseBaseChanges(text: string, generation: string): BaseChangeLog & { readonly damagedLine?: number } {
  const changes: BaseChange[] = [];
  let stale = false;
  let paths = 0;
  const end = text.lastIndexOf('\n') + 1; // a last line without its newline was cut short
  const lines = text.slice(0, end).split('\n');
  lines.pop(); // after the last newline
  let goodBytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const change = parseLine(lines[i], i + 1);
    if (change === undefined) {
      if (i === lines.length - 1) return { changes, goodBytes, stale, paths }; // cut short
      return { changes, goodBytes, stale, paths, damagedLine: i + 1 };
    }
    goodBytes += Buffer.byteLength(lines[i]) + 1;
    if (change.generation !== generation) {
      stale = true;
      continue;
    }
    changes.push(change);
    paths += change.paths.length;
  }
  return { changes, goodBytes, stale, paths };
}

function parseLine(line: string, number: number): (BaseChange & { readonly generation: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.generation !== 'string') return undefined;
  const { machines, paths, entries } = value;
  if (!Array.isArray(machines) || !machines.every((n) => typeof n === 'string')) return undefined;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== '')) return undefined;
  if (!Array.isArray(entries)) return undefined;
  const covered = parseCoverage(value.covered);
  if (covered === null) return undefined;
  return { generation: value.generation, line: number, machines: machines as string[], paths: paths as string[], rows: entries, covered };
}

/** A `covered` value of base.json or of a log line: undefined when absent, null when not well formed. */
export function parseCoverage(value: unknown): BaseCoverage | undefined | null {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return null;
  const out = new Map<string, readonly string[]>();
  for (const [name, paths] of Object.entries(value)) {
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p !== '')) return null;
    out.set(name, Object.freeze([...(paths as string[])]));
  }
  return out;
}
