import type { RemainingItem } from '../plan/remaining.js';
import type { Deferred, Step } from '../types.js';
import { renderRemainingLine } from './summary.js';
import { formatDuration, formatSize } from './format.js';
import { countFiles } from './summary.js';
import { buildPaint } from './style.js';
import { sanitizeForTerminal as safe } from '../escape.js';

/** One step's outcome as the renderers need it. */
export interface OutcomeView {
  readonly step: Step;
  readonly status: 'done' | 'failed' | 'stale';
  readonly reason?: string;
}

/** Files copied (pulls and pushes done; folders aside) and their bytes. */
export function summariseDone(outcomes: readonly OutcomeView[]): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const o of outcomes) {
    if (o.status !== 'done' || o.step.action === 'trash' || o.step.source === null || o.step.source.type === 'dir') continue;
    files++;
    if (o.step.source.type === 'file') bytes += o.step.source.size;
  }
  return { files, bytes };
}

/**
 * The report after an apply: what failed or was stale and why, what stays owed, a count line
 * (`Apply complete: 1,205 files (1.2 GiB) in 12.3 s; 11 done, …`),
 * and last what remains (see buildRemaining): "complete" only when nothing does.
 */
export function renderApplyResult(
  outcomes: readonly OutcomeView[],
  deferred: readonly Deferred[],
  opts: { color: boolean; remaining: readonly RemainingItem[]; /** From approval to the end of the transfers. */ elapsedMs: number },
): string {
  const paint = buildPaint(opts.color);
  const lines: string[] = [];
  const bad = outcomes.filter((o) => o.status !== 'done');
  if (bad.length > 0) {
    lines.push(paint('bold', 'Not done:'));
    for (const o of bad) {
      lines.push(`  ${paint(o.status === 'failed' ? 'red' : 'yellow', o.status.padEnd(6))} ${o.step.action} ${safe(o.step.path)} ${safe(o.step.from)} → ${safe(o.step.to)}: ${safe(o.reason ?? '')}`);
    }
  }
  const count = (s: string) => outcomes.filter((o) => o.status === s).length;
  const owed = bad.length + deferred.length;
  const complete = owed === 0 && opts.remaining.length === 0;
  const moved = summariseDone(outcomes);
  lines.push(
    `Apply ${complete ? 'complete' : 'finished'}: ${countFiles(moved.files)} (${formatSize(moved.bytes)}) in ${formatDuration(opts.elapsedMs)}; ${count('done')} done, ${count('failed')} failed, ${count('stale')} stale, ${deferred.length} deferred.` +
      (owed > 0 ? ' What remains is owed: see `blat journal`, finish with `blat apply --resume`.' : ''),
  );
  lines.push(paint('bold', renderRemainingLine(opts.remaining)));
  return lines.join('\n') + '\n';
}
