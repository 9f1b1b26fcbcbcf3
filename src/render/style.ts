// ANSI styling by plain escape codes and the cli-table3 layout every renderer shares.
import Table from 'cli-table3';

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

/** `s` without ANSI colour codes. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

export interface TableLayout {
  /** Column headings (already styled). Omit for a borderless list. */
  readonly head?: readonly string[];
  /** Draw no borders at all (aligned columns only). */
  readonly borderless?: boolean;
  /** Total width to fit in; the `flex` columns are wrapped to fit. */
  readonly width?: number;
  /** Index (or indexes) of the columns that may wrap when `width` is too small; the widest is narrowed first. */
  readonly flex?: number | readonly number[];
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '',
};

function makeTable(rows: readonly (readonly string[])[], layout: TableLayout, colWidths?: (number | null)[]): string {
  const table = new Table({
    ...(layout.head !== undefined ? { head: [...layout.head] } : {}),
    ...(layout.borderless === true ? { chars: BORDERLESS } : {}),
    style: { head: [], border: [], compact: true, 'padding-left': layout.borderless === true ? 0 : 1, 'padding-right': layout.borderless === true ? 2 : 1 },
    ...(colWidths !== undefined ? { colWidths, wordWrap: true, wrapOnWordBoundary: false } : {}),
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/**
 * Rows laid out as a cli-table3 table (no colours from cli-table3 itself).
 * Cells must already be sanitised; when `width` is set and the table is wider,
 * the `flex` columns are narrowed (the widest first, none below 12) and wrapped
 * rather than anything being cut.
 */
export function renderTable(rows: readonly (readonly string[])[], layout: TableLayout): string {
  const natural = makeTable(rows, layout);
  if (layout.width === undefined || layout.flex === undefined) return natural;
  const widest = Math.max(...natural.split('\n').map((l) => stripAnsi(l).length));
  if (widest <= layout.width) return natural;
  const all = layout.head !== undefined ? [layout.head, ...rows] : rows;
  const cols = all[0]?.length ?? 0;
  const colWidths: (number | null)[] = new Array<number | null>(cols).fill(null);
  const flex = typeof layout.flex === 'number' ? [layout.flex] : layout.flex;
  const naturalWidth = (c: number) => Math.max(...all.map((r) => Math.max(...stripAnsi(r[c] ?? '').split('\n').map((l) => l.length)))) + 2;
  let excess = widest - layout.width;
  for (const [c, w] of flex.map((c) => [c, naturalWidth(c)] as const).sort((x, y) => y[1] - x[1])) {
    const cut = Math.max(0, Math.min(excess, w - 12));
    colWidths[c] = w - cut;
    excess -= cut;
  }
  return makeTable(rows, layout, colWidths);
}
