// ANSI styling by plain escape codes and the table layout every renderer shares.
import { displayWidth, shortenMiddle } from './width.js';

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'magenta';

const CODES: Readonly<Record<Style, readonly [number, number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39],
};

/** Wraps already-sanitised text in a style's escape codes. */
export type Paint = (style: Style, text: string) => string;

/** A painter that adds ANSI codes when `color`, and returns text unchanged otherwise. */
export function buildPaint(color: boolean): Paint {
  if (!color) return (_style, text) => text;
  return (style, text) => (text === '' ? text : `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m`);
}

export { stripAnsi } from './width.js';

export interface TableLayout {
  /** Column headings (already styled). Omit for a borderless list. */
  readonly head?: readonly string[];
  /** Draw no borders at all (aligned columns only). */
  readonly borderless?: boolean;
  /** Total width to fit in; columns are narrowed and their cells shortened in the middle to fit. */
  readonly width?: number;
  /** Columns narrowed only when nothing else can be (dates). */
  readonly keep?: readonly number[];
  /** Index (or indexes) of the columns narrowed first when `width` is too small (paths); the widest first. */
  readonly flex?: number | readonly number[];
}

/**
 * Rows laid out in columns, as cli-table3 draws them in compact style (one row per line, a rule
 * under the head), in linear time: cli-table3 itself takes seconds for thousands of rows. Cells
 * are one line each; widths count terminal columns, colour codes aside.
 */
function makeTable(rows: readonly (readonly string[])[], layout: TableLayout): string {
  const all = layout.head !== undefined ? [layout.head, ...rows] : rows;
  const cols = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(0, ...all.map((r) => displayWidth(r[c] ?? ''))));
  const pad = (cell: string, c: number) => cell + ' '.repeat(widths[c] - displayWidth(cell));
  if (layout.borderless === true) {
    return all.map((r) => widths.map((_, c) => `${pad(r[c] ?? '', c)}  `).join('').trimEnd()).join('\n');
  }
  const rule = (left: string, mid: string, right: string) => `${left}${widths.map((w) => '─'.repeat(w + 2)).join(mid)}${right}`;
  const line = (r: readonly string[]) => `│${widths.map((_, c) => ` ${pad(r[c] ?? '', c)} `).join('│')}│`.trimEnd();
  const out = [rule('┌', '┬', '┐')];
  if (layout.head !== undefined) out.push(line(layout.head));
  if (layout.head !== undefined && rows.length > 0) out.push(rule('├', '┼', '┤'));
  for (const r of rows) out.push(line(r));
  out.push(rule('└', '┴', '┘'));
  return out.join('\n');
}

/** The widest line of a block, in terminal columns. */
function widestLine(block: string): number {
  return Math.max(0, ...block.split('\n').map((l) => displayWidth(l)));
}

/** Narrowing stops at these widths: other columns first down to MIN_TEXT, then paths to MIN_FLEX, then any to MIN_OTHER. */
const MIN_TEXT = 16;
const MIN_FLEX = 8;
const MIN_OTHER = 4;

/**
 * Rows laid out as a table (see makeTable). Cells must already be
 * sanitised (one line each); when `width` is set and the table is wider, columns are narrowed —
 * the `flex` ones first, the widest first — and their cells shortened in the middle
 * (`docs/very/lo…/file.txt`), never wrapped into another row.
 */
export function renderTable(rows: readonly (readonly string[])[], layout: TableLayout): string {
  const natural = makeTable(rows, layout);
  if (layout.width === undefined) return natural;
  let excess = widestLine(natural) - layout.width;
  if (excess <= 0) return natural;
  const all = layout.head !== undefined ? [layout.head, ...rows] : rows;
  const cols = all[0]?.length ?? 0;
  const widths = Array.from({ length: cols }, (_, c) => Math.max(0, ...all.map((r) => displayWidth(r[c] ?? ''))));
  const flex = layout.flex === undefined ? [] : typeof layout.flex === 'number' ? [layout.flex] : layout.flex;
  /** Narrows the widest of `candidates` (down to the next widest, by the excess at most) until the table fits or none is above `min`. */
  const narrow = (candidates: readonly number[], min: number) => {
    while (excess > 0) {
      const open = candidates.filter((i) => widths[i] > min).sort((x, y) => widths[y] - widths[x]);
      if (open.length === 0) return;
      const floor = Math.max(min, open.length > 1 ? widths[open[1]] : min);
      const cut = Math.min(excess, Math.max(1, widths[open[0]] - floor));
      widths[open[0]] -= cut;
      excess -= cut;
    }
  };
  const every = Array.from({ length: cols }, (_, c) => c);
  const keep = new Set(layout.keep ?? []);
  const others = every.filter((c) => !flex.includes(c) && !keep.has(c));
  narrow(others, MIN_TEXT); // long words ("why", reasons) first, to a readable width
  narrow(flex, MIN_FLEX); // then the paths
  narrow(others, MIN_OTHER);
  narrow(every, MIN_OTHER);
  const fit = (row: readonly string[]) => row.map((cell, c) => shortenMiddle(cell, widths[c]));
  return makeTable(rows.map(fit), { ...layout, head: layout.head === undefined ? undefined : fit(layout.head) });
}
