// The one-line plan summary printed last by `blat plan` and `blat apply`.
import type { RemainingItem } from '../plan/remaining.js';
import type { Plan, PlanSummary } from '../types.js';
import { summariseTransfers, type ActionTotals } from '../plan/summary.js';
import { sanitizeForTerminal as safe } from '../escape.js';
import { formatSize, plural } from './format.js';

/**
 * `Plan: [N to move, ]N to pull, N to push, [N to copy, ][N to trash, ]N deferred, N conflicts, N deletions held[; N versions will be kept in trash].`
 * (`… deletions to propagate` when `propagated`; the versions kept only when some are). Counts are
 * not pluralised, so the line has one fixed shape that scripts can match.
 */
export function renderSummaryLine(summary: PlanSummary, propagated: boolean): string {
  const trash = summary.trash > 0 ? `${summary.trash} to trash, ` : '';
  const copy = summary.copy > 0 ? `${summary.copy} to copy, ` : '';
  const deletions = propagated ? `${summary.deletions} deletions to propagate` : `${summary.deletions} deletions held`;
  const kept = summary.kept > 0 ? `; ${summary.kept} versions will be kept in trash` : '';
  const aside = summary.aside > 0 ? `${summary.aside} conflict copies kept beside their paths, ` : '';
  const move = summary.move > 0 ? `${summary.move} to move, ` : '';
  return `Plan: ${aside}${move}${summary.pull} to pull, ${summary.push} to push, ${copy}${trash}${summary.deferred} deferred, ${summary.conflicts} conflicts, ${deletions}${kept}.`;
}

/** `No changes. Every machine is in sync (N paths).` — the line for an empty plan. */
export function renderNoChangesLine(inSync: number): string {
  return `No changes. Every machine is in sync (${inSync} paths).`;
}

/**
 * The last line of plan, apply and resume: `In sync: …` when nothing remains, else
 * `Not in sync: 1 conflict, 2 held deletions, m3 unreachable (3 paths owed).`
 */
export function renderRemainingLine(items: readonly RemainingItem[]): string {
  if (items.length === 0) return 'In sync: every machine answered and holds the same versions.';
  const parts = items.map((item) => {
    if (item.kind === 'unreachable') {
      const what = item.reason?.startsWith('stalled') ? 'stalled' : 'unreachable';
      return `${safe(item.machine)} ${what}${item.owed > 0 ? ` (${plural(item.owed, 'path', 'paths')} owed)` : ''}`;
    }
    switch (item.kind) {
      case 'stopped':
        return 'apply stopped by an error (run blat plan to see where the machines stand)';
      case 'to copy':
        return `${plural(item.count, 'copy', 'copies')} to make`;
      case 'to trash':
        return `${item.count} to trash`;
      case 'conflict':
        return plural(item.count, 'conflict', 'conflicts');
      case 'held deletion':
        return plural(item.count, 'held deletion', 'held deletions');
      case 'unreadable':
        return plural(item.count, 'unreadable folder', 'unreadable folders');
      default:
        return `${item.count} ${item.kind}`;
    }
  });
  return `Not in sync: ${parts.join(', ')}.`;
}

/** `1,204` (en-US grouping, whatever the locale). */
export function formatCount(n: number): string {
  // Not toLocaleString: its first call loads ICU's locale data, about 17 ms of every run's start.
  if (!Number.isInteger(n)) return String(n);
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** `1 file` / `1,204 files`. */
export function countFiles(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'file' : 'files'}`;
}

/** `push 1,204 files (1.2 GiB) to 3 machines` (one machine is named, through `name`), or undefined when the action has no step. */
export function describeTotals(action: 'pull' | 'push' | 'copy' | 'trash', t: ActionTotals, name: (machine: string) => string): string | undefined {
  if (t.machines.length === 0) return undefined;
  const files = countFiles(t.files);
  const where = t.machines.length === 1 ? name(t.machines[0]) : `${t.machines.length} machines`;
  if (action === 'pull') return `pull ${files} (${formatSize(t.bytes)}) from ${where}`;
  if (action === 'push') return `push ${files} (${formatSize(t.bytes)}) to ${where}`;
  if (action === 'copy') return `copy ${files} (${formatSize(t.bytes)}) to ${where}`;
  return `move ${files} to trash on ${where}`;
}

/** What apply would move, in words: `pull 1 file (2.0 KiB) from m2, push 1,204 files (1.2 GiB) to 3 machines`; '' without steps. */
export function describeTransfers(plan: Plan, name: (machine: string) => string = safe, separator = ', '): string {
  const totals = summariseTransfers(plan);
  const parts = (['pull', 'push', 'copy', 'trash'] as const).map((a) => describeTotals(a, totals[a], name)).filter((p): p is string => p !== undefined);
  // Moves and versions kept aside transfer nothing: counted as steps, on the machines that run them.
  const local = (action: 'move' | 'copy-aside', words: (n: number, where: string) => string) => {
    const steps = plan.steps.filter((s) => s.action === action);
    if (steps.length === 0) return;
    const machines = [...new Set(steps.map((s) => s.to))];
    parts.unshift(words(steps.length, machines.length === 1 ? name(machines[0]) : `${machines.length} machines`));
  };
  local('move', (n, where) => `move ${formatCount(n)} ${n === 1 ? 'path' : 'paths'} on ${where} (mv, nothing sent)`);
  local('copy-aside', (n, where) => `keep ${formatCount(n)} ${n === 1 ? 'version' : 'versions'} aside on ${where}`);
  return parts.join(separator);
}
