import type { OwedItem } from '../state/journal.js';
import { formatAgo, formatIsoSeconds } from './format.js';
import { buildPaint } from './style.js';
import { sanitizeForTerminal as safe } from '../escape.js';

/** What is owed, per machine, oldest first (blat.py's missed-copy log, made readable). */
export function renderOwedText(owed: readonly OwedItem[], opts: { color: boolean; nowMs: number }): string {
  if (owed.length === 0) return 'Nothing is owed: every apply finished.\n';
  const paint = buildPaint(opts.color);
  const lines: string[] = [];
  let machine: string | undefined;
  for (const item of owed) {
    if (item.machine !== machine) {
      machine = item.machine;
      const n = owed.filter((o) => o.machine === machine).length;
      lines.push(paint('bold', `${safe(machine)}: ${n} owed`));
    }
    lines.push(`  ${formatIsoSeconds(item.since)} (${formatAgo(item.since, opts.nowMs)})  ${item.kind.padEnd(8)} ${safe(item.path)}  — ${safe(item.reason)}`);
  }
  lines.push(`${owed.length} owed in all. Finish with: blat apply --resume`);
  return lines.join('\n') + '\n';
}

/** The owed items as a JSON value for `blat journal --json`. */
export function buildOwedDocument(owed: readonly OwedItem[]): { formatVersion: 1; owed: object[] } {
  return { formatVersion: 1, owed: owed.map((o) => ({ machine: o.machine, path: o.path, since: new Date(o.since).toISOString(), kind: o.kind, reason: o.reason })) };
}
