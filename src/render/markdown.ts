// A plan as a pull-request comment (the shape tfcmt and Atlantis users know): a title with the
// outcome, one summary line, a warning for deletions, folded sections, at most `maxChars`. Pure.
import { escapeControls } from '../escape.js';
import { isEmptyPlan, summariseTransfers } from '../plan/summary.js';
import type { Conflict, Deferred, Deletion, Entry, Plan, Step } from '../types.js';
import { formatMtime, formatSize, plural } from './format.js';
import { describeTotals, formatCount } from './summary.js';

/** GitHub refuses comments over 65,536 characters; this leaves room for a bot's own header. */
export const MARKDOWN_MAX_CHARS = 60_000;

/** Text safe inside a Markdown table cell or summary: controls escaped, Markdown and HTML neutralised. */
export function escapeMarkdown(text: string): string {
  return escapeControls(text)
    .replace(/([\\`*_[\]#~])/g, '\\$1')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '&#124;');
}

const count = formatCount;

function describeEntry(e: Entry | null): string {
  if (e === null) return 'absent';
  if (e.type === 'dir') return 'folder';
  if (e.type === 'symlink') return `link → ${escapeMarkdown(e.target ?? '')}`;
  return formatSize(e.size);
}

function stepRow(s: Step): string {
  const shown = s.action === 'trash' ? s.target : s.source;
  const ends =
    s.action === 'copy-aside' ? `on ${escapeMarkdown(s.from)}, to ${escapeMarkdown(s.as ?? '')}`
    : s.action === 'move' ? `on ${escapeMarkdown(s.to)}, from ${escapeMarkdown(s.was ?? '')} (moved on ${escapeMarkdown(s.from)})`
    : `${escapeMarkdown(s.from)} → ${escapeMarkdown(s.to)}`;
  return `| ${s.action} | ${escapeMarkdown(s.path)} | ${ends} | ${describeEntry(shown)} | ${shown === null ? '' : formatMtime(shown.mtime)} |`;
}

function conflictRows(c: Conflict): string[] {
  return c.versions.map(
    (v, i) =>
      `| ${i === 0 ? escapeMarkdown(c.path) : ''} | ${i === 0 ? escapeMarkdown(c.reason) : ''} | ${v.machines.map(escapeMarkdown).join(', ')} | ${v.entry === null ? 'absent' : `${describeEntry(v.entry)}, ${formatMtime(v.entry.mtime)}`} | ${v.changed ? 'changed' : 'unchanged'} |`,
  );
}

function deletionRow(d: Deletion): string {
  return `| ${escapeMarkdown(d.path)} | ${d.deletedOn.map(escapeMarkdown).join(', ')} | ${d.heldOn.map(escapeMarkdown).join(', ')} | ${d.propagated ? 'propagated (to trash)' : 'held'} |`;
}

function deferredRow(d: Deferred): string {
  return `| ${escapeMarkdown(d.path)} | ${escapeMarkdown(d.machine)} | ${escapeMarkdown(d.reason)} | ${describeEntry(d.source)} |`;
}

/** A folded section: its summary, a table head and its rows (one per string; a conflict's rows stay together). */
interface Section {
  readonly summary: string;
  readonly head: string;
  readonly rows: readonly string[][];
}

/** The title line and the outcome. */
function renderTitle(plan: Plan): string {
  const offline = plan.machines.filter((m) => m.status === 'offline');
  if (isEmptyPlan(plan) && offline.length === 0) return `## blat plan: no changes, every machine is in sync`;
  if (plan.conflicts.length > 0) return `## blat plan: ${plural(plan.conflicts.length, 'conflict', 'conflicts')} to resolve`;
  if (plan.steps.length > 0) return '## blat plan: changes to apply';
  return '## blat plan: nothing to apply, but not in sync';
}

/** One line: what apply would move, and what stays. */
function renderSummary(plan: Plan): string {
  const totals = summariseTransfers(plan);
  const parts = (['pull', 'push', 'copy', 'trash'] as const).map((a) => describeTotals(a, totals[a], escapeMarkdown)).filter((p): p is string => p !== undefined);
  if (plan.deferred.length > 0) parts.push(`${count(plan.deferred.length)} owed to offline machines`);
  if (plan.conflicts.length > 0) parts.push(plural(plan.conflicts.length, 'conflict', 'conflicts'));
  const held = plan.deletions.filter((d) => !d.propagated).length;
  if (held > 0) parts.push(plural(held, 'deletion held', 'deletions held'));
  if (plan.warnings.length > 0) parts.push(plural(plan.warnings.length, 'warning', 'warnings'));
  for (const m of plan.machines) if (m.status === 'offline') parts.push(`${escapeMarkdown(m.name)} ${m.rootMissing ? 'root missing' : 'offline'} (${escapeMarkdown(m.reason ?? 'no answer')})`);
  parts.push(`${count(plan.inSync)} paths in sync`);
  return `**Summary:** ${parts.join(' · ')}`;
}

function renderWarnings(plan: Plan, deletionGuard: readonly string[] | undefined): string[] {
  const held = plan.deletions.filter((d) => !d.propagated).length;
  const propagated = plan.deletions.length - held;
  const lines: string[] = [];
  if (propagated > 0) {
    const verdict =
      deletionGuard === undefined ? ''
      : deletionGuard.length === 0 ? '\n> Deletion guard: passes.'
      : `\n> Deletion guard: apply would refuse (pass --force-deletes to go ahead):${deletionGuard.map((p) => `\n> - ${escapeMarkdown(p)}`).join('')}`;
    lines.push(`> [!WARNING]\n> ${plural(propagated, 'deletion is', 'deletions are')} propagated: the remaining copies will be moved to each machine's trash.${verdict}`);
  }
  if (held > 0) lines.push(`> [!WARNING]\n> ${plural(held, 'deletion is', 'deletions are')} held: deleted on some machines, still on others; left alone unless applied with --propagate-deletes.`);
  return lines;
}

/** The folded sections: each machine's steps, deferred entries, conflicts, deletions. */
function buildSections(plan: Plan): Section[] {
  const sections: Section[] = [];
  const byMachine = new Map<string, Step[]>();
  for (const s of plan.steps) {
    const key = s.action === 'pull' ? `pull to ${s.to} (self)` : s.action === 'push' ? `push to ${s.to}` : s.action === 'copy' ? `copy to ${s.to}` : s.action === 'copy-aside' ? `conflict copies on ${s.to}` : s.action === 'move' ? `moves on ${s.to}` : `trash on ${s.to}`;
    const list = byMachine.get(key);
    if (list) list.push(s);
    else byMachine.set(key, [s]);
  }
  for (const [key, steps] of byMachine) {
    const files = steps.filter((s) => (s.action === 'trash' ? s.target : s.source)?.type !== 'dir');
    const bytes = files.reduce((n, s) => n + (s.source?.type === 'file' ? s.source.size : 0), 0);
    const size = steps[0].action === 'trash' || steps[0].action === 'move' ? '' : ` (${formatSize(bytes)})`;
    sections.push({
      summary: `${escapeMarkdown(key)}: ${count(files.length)} ${files.length === 1 ? 'file' : 'files'}${size}`,
      head: '| action | path | from → to | size | mtime |\n|---|---|---|---|---|',
      rows: steps.map((s) => [stepRow(s)]),
    });
  }
  if (plan.deferred.length > 0) {
    sections.push({ summary: `Owed to offline machines: ${count(plan.deferred.length)}`, head: '| path | machine | reason | size |\n|---|---|---|---|', rows: plan.deferred.map((d) => [deferredRow(d)]) });
  }
  if (plan.conflicts.length > 0) {
    sections.push({
      summary: `Conflicts: ${count(plan.conflicts.length)} (resolve with blat diff, then --prefer MACHINE)`,
      head: '| path | reason | machines | version | since last sync |\n|---|---|---|---|---|',
      rows: plan.conflicts.map(conflictRows),
    });
  }
  if (plan.warnings.length > 0) {
    sections.push({
      summary: `Warnings: ${count(plan.warnings.length)} (left undecided)`,
      head: '| path | machine | why |\n|---|---|---|',
      rows: plan.warnings.map((w) => [
        `| ${escapeMarkdown(w.path)} | ${escapeMarkdown(w.machine)} | ${w.kind === 'unreadable' ? `could not read: ${escapeMarkdown(w.reason)}` : `dated ${formatMtime(w.mtime)}, in the future of its clock: never wins by being newest`} |`,
      ]),
    });
  }
  if (plan.deletions.length > 0) {
    sections.push({ summary: `Deletions: ${count(plan.deletions.length)}`, head: '| path | deleted on | still on | status |\n|---|---|---|---|', rows: plan.deletions.map((d) => [deletionRow(d)]) });
  }
  return sections;
}

function renderSection(section: Section, rows: readonly string[][], cut: number): string {
  const lines = [`<details><summary>${section.summary}</summary>`, '', section.head, ...rows.flat()];
  if (cut > 0) lines.push('', `…and ${count(cut)} more, cut to fit the comment (run \`blat plan --full\` for every path).`);
  lines.push('', '</details>');
  return lines.join('\n');
}

/**
 * The plan as Markdown for a pull-request comment or a CI job summary, at most `maxChars`
 * characters: sections keep their first rows and say how many were cut when it does not fit.
 * `deletionGuard`: the mass-deletion guard's problems when the plan propagates deletions.
 */
export function renderPlanMarkdown(plan: Plan, opts: { readonly maxChars?: number; readonly deletionGuard?: readonly string[] } = {}): string {
  const maxChars = opts.maxChars ?? MARKDOWN_MAX_CHARS;
  const head = [renderTitle(plan), '', renderSummary(plan)];
  if (plan.targets.length > 0) head.push('', `Narrowed to: ${plan.targets.map(escapeMarkdown).join(', ')}`);
  for (const w of renderWarnings(plan, opts.deletionGuard)) head.push('', w);
  const top = `${head.join('\n')}\n`;
  const sections = buildSections(plan);
  const whole = sections.map((s) => renderSection(s, s.rows, 0));
  const full = [top, ...whole].join('\n');
  if (full.length + 1 <= maxChars) return `${full}\n`;
  // Too long: every section gets its head and a fair share of what is left for rows.
  const note = 200; // room for each section's "…and N more" line
  let budget = maxChars - top.length - 1 - sections.reduce((n, s) => n + renderSection(s, [], 0).length + note + 1, 0);
  const out = [top];
  sections.forEach((s, k) => {
    const share = Math.floor(budget / (sections.length - k));
    const kept: string[][] = [];
    let used = 0;
    for (const row of s.rows) {
      const size = row.reduce((n, line) => n + line.length + 1, 0);
      if (used + size > share) break;
      kept.push(row);
      used += size;
    }
    budget -= used;
    out.push(renderSection(s, kept, s.rows.length - kept.length));
  });
  return `${out.join('\n')}\n`;
}
