// The human view of a plan: machine header, steps table, deferred, conflicts, deletions, summary.
import { isEmptyPlan, summarisePlan } from '../plan/summary.js';
import type { Conflict, Deferred, Deletion, Entry, MachineObservation, Plan, PlanWarning, Step } from '../types.js';
import { formatClockOffset, formatMtime, formatSize, parentFolder, plural } from './format.js';
import { buildRemaining } from '../plan/remaining.js';
import { renderNoChangesLine, renderRemainingLine, renderSummaryLine } from './summary.js';
import { buildPaint, renderTable, type Paint } from './style.js';
import { sanitizeForTerminal as safe } from '../escape.js';

/** Sections with more rows than this are summarised per folder unless `full`. */
export const MAX_LISTED_ROWS = 50;

export interface PlanTextOptions {
  readonly color: boolean;
  /** List every path even in long sections. */
  readonly full: boolean;
  /** Terminal width to fit tables into (path columns wrap); unlimited when absent. */
  readonly width?: number;
  /** The mass-deletion guard's problems with the plan's trash steps ([] = it passes); not shown when absent. */
  readonly deletionGuard?: readonly string[];
}

interface Ctx {
  readonly paint: Paint;
  readonly full: boolean;
  readonly width?: number;
  /** Machine name → position in the plan's machine list, for listing names in config order. */
  readonly order: ReadonlyMap<string, number>;
}

// ---------------------------------------------------------------- cells

/** What an entry is, for the size column: `1.2 KiB`, `dir`, `link → target`. */
function describeEntry(entry: Entry | null): string {
  if (entry === null) return 'absent';
  if (entry.type === 'dir') return 'dir';
  if (entry.type === 'symlink') return entry.target === undefined ? 'link' : `link → ${safe(entry.target)}`;
  return formatSize(entry.size);
}

/** The machine list `a, b, c`, sanitised. */
function names(list: readonly string[]): string {
  return list.map(safe).join(', ');
}

/** Why a step is needed, derived from its expected entries, and what it replaces (kept in trash). */
function stepWhy(p: Paint, step: Step): string {
  const note = replacesNote(step);
  const why = stepReason(step);
  if (note === undefined) return why;
  return `${why}; ${step.replaces === 'changed' ? p('yellow', note) : note}`;
}

/** What a step replaces on its target, kept in that machine's trash (see Step.replaces). */
function replacesNote(step: Step): string | undefined {
  if (step.replaces === 'changed') return `replaces ${safe(step.to)}'s version, changed since the last sync`;
  if (step.replaces === 'older') return step.action === 'trash' ? 'copy kept in trash' : 'replaces an older copy';
  return undefined;
}

function stepReason(step: Step): string {
  if (step.action === 'copy-aside') return `keep both: ${safe(step.from)}'s version copied to ${safe(step.as ?? '')}`;
  if (step.action === 'move') return `moved on ${safe(step.from)} from ${safe(step.was ?? '')}`;
  if (step.action === 'trash') return `deleted on ${safe(step.from)}`;
  if (step.target === null) return `missing on ${safe(step.to)}`;
  if (step.source !== null && step.target.mtime < step.source.mtime) {
    return step.action === 'pull' ? `newer on ${safe(step.from)}` : `older on ${safe(step.to)}`;
  }
  return `changed on ${safe(step.from)}`;
}

function paintAction(p: Paint, action: Step['action']): string {
  return p(action === 'pull' ? 'cyan' : action === 'push' ? 'green' : action === 'copy-aside' || action === 'move' ? 'yellow' : 'red', action);
}

function heading(ctx: Ctx, text: string): string {
  return ctx.paint('bold', text);
}

// ---------------------------------------------------------------- header

function machineState(p: Paint, m: MachineObservation): string {
  if (m.status === 'online') return p('green', 'online');
  if (m.rootMissing) return p('red', m.reason === undefined ? 'root missing' : safe(m.reason));
  if (m.status === 'offline') return p('red', m.reason === undefined ? 'offline' : `offline (${safe(m.reason)})`);
  return p('dim', 'outofuse (left out)');
}

function renderHeader(ctx: Ctx, plan: Plan): string {
  const rows = plan.machines.map((m) => [
    m.name === plan.self ? `${safe(m.name)} ${ctx.paint('bold', '(self)')}` : safe(m.name),
    machineState(ctx.paint, m),
    m.os ?? '',
    m.clockOffsetMs !== undefined && Math.abs(m.clockOffsetMs) > 1000 ? ctx.paint('yellow', `clock ${formatClockOffset(m.clockOffsetMs)}`) : '',
  ]);
  const lines = [heading(ctx, 'Machines:')];
  if (rows.length > 0) lines.push(indent(renderTable(rows, { borderless: true })));
  return lines.join('\n');
}

function indent(block: string): string {
  return block
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
}

// ---------------------------------------------------------------- folder summaries

interface FolderGroup {
  readonly label: string;
  count: number;
  readonly machines: string[];
}

/** Groups items by (parent folder, kind) in first-seen order, collecting machine names in config order. */
function groupByFolder<T>(
  ctx: Ctx,
  items: readonly T[],
  pathOf: (item: T) => string,
  kindOf: (item: T) => string,
  machinesOf: (item: T) => readonly string[],
): { folder: string; kind: string; group: FolderGroup }[] {
  const byKey = new Map<string, { folder: string; kind: string; group: FolderGroup }>();
  for (const item of items) {
    const folder = parentFolder(pathOf(item));
    const kind = kindOf(item);
    const key = `${kind}\u0000${folder}`;
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { folder, kind, group: { label: folder, count: 0, machines: [] } };
      byKey.set(key, entry);
    }
    entry.group.count++;
    for (const m of machinesOf(item)) if (!entry.group.machines.includes(m)) entry.group.machines.push(m);
  }
  const rank = (m: string): number => ctx.order.get(m) ?? Number.MAX_SAFE_INTEGER;
  for (const { group } of byKey.values()) group.machines.sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
  return [...byKey.values()];
}

function summaryHint(ctx: Ctx, rows: number, folders: number): string {
  return ctx.paint('dim', `(${plural(rows, 'path', 'paths')} summarised in ${plural(folders, 'folder', 'folders')}; use --full to list every path)`);
}

function folderLines(ctx: Ctx, groups: readonly { folder: string }[], lines: readonly string[], rows: number): string {
  const folders = new Set(groups.map((g) => g.folder)).size;
  return [...lines.map((l) => `  ${l}`), `  ${summaryHint(ctx, rows, folders)}`].join('\n');
}

// ---------------------------------------------------------------- sections

function renderSteps(ctx: Ctx, steps: readonly Step[]): string {
  const title = heading(ctx, `Steps (${steps.length}):`);
  if (steps.length > MAX_LISTED_ROWS && !ctx.full) {
    const groups = groupByFolder(
      ctx,
      steps,
      (s) => s.path,
      (s) => s.action,
      (s) => (s.action === 'pull' ? [s.from] : [s.to]),
    );
    // Per group, the steps that replace a version changed since the last sync.
    const changed = new Map<string, number>();
    for (const s of steps) {
      if (s.replaces !== 'changed') continue;
      const key = `${s.action}\u0000${parentFolder(s.path)}`;
      changed.set(key, (changed.get(key) ?? 0) + 1);
    }
    const lines = groups.map(({ folder, kind, group }) => {
      const files = plural(group.count, 'file', 'files');
      const where = kind === 'pull' ? `from ${names(group.machines)}` : kind === 'push' ? `to ${names(group.machines)}` : `on ${names(group.machines)}`;
      const n = changed.get(`${kind}\u0000${folder}`) ?? 0;
      const note = n === 0 ? '' : ` ${ctx.paint('yellow', `(${n} replacing a version changed since the last sync)`)}`;
      return `${safe(folder)} — ${files} to ${paintAction(ctx.paint, kind as Step['action'])} ${where}${note}`;
    });
    return `${title}\n${folderLines(ctx, groups, lines, steps.length)}`;
  }
  const p = ctx.paint;
  const rows = steps.map((s) => {
    const shown = s.action === 'trash' ? s.target : s.source;
    return [
      paintAction(p, s.action),
      safe(s.path),
      s.action === 'copy-aside' ? `on ${safe(s.from)}` : s.action === 'move' ? `on ${safe(s.to)}` : `${safe(s.from)} → ${safe(s.to)}`,
      stepWhy(p, s),
      describeEntry(shown),
      shown === null ? '' : formatMtime(shown.mtime),
    ];
  });
  const head = ['action', 'path', 'from → to', 'why', 'size', 'mtime'].map((h) => p('bold', h));
  return `${title}\n${renderTable(rows, { head, width: ctx.width, flex: [1, 3] })}`;
}

function renderDeferred(ctx: Ctx, deferred: readonly Deferred[]): string {
  const title = heading(ctx, `Deferred (${deferred.length}) — owed to machines that cannot be served now:`);
  if (deferred.length > MAX_LISTED_ROWS && !ctx.full) {
    const groups = groupByFolder(ctx, deferred, (d) => d.path, () => 'deferred', (d) => [d.machine]);
    const lines = groups.map(({ folder, group }) => `${safe(folder)} — ${plural(group.count, 'file', 'files')} owed to ${ctx.paint('yellow', names(group.machines))}`);
    return `${title}\n${folderLines(ctx, groups, lines, deferred.length)}`;
  }
  const p = ctx.paint;
  const rows = deferred.map((d) => [safe(d.path), p('yellow', safe(d.machine)), safe(d.reason), describeEntry(d.source), formatMtime(d.source.mtime)]);
  const head = ['path', 'machine', 'reason', 'size', 'mtime'].map((h) => p('bold', h));
  return `${title}\n${renderTable(rows, { head, width: ctx.width, flex: 0 })}`;
}

function renderConflicts(ctx: Ctx, conflicts: readonly Conflict[]): string {
  const title = heading(ctx, `Conflicts (${conflicts.length}) — changed differently on several machines; nothing is copied:`);
  const hint = `  ${ctx.paint('dim', '(choose a version with --prefer newest or --prefer MACHINE)')}`;
  if (conflicts.length > MAX_LISTED_ROWS && !ctx.full) {
    const groups = groupByFolder(
      ctx,
      conflicts,
      (c) => c.path,
      () => 'conflict',
      (c) => c.versions.flatMap((v) => v.machines),
    );
    const lines = groups.map(
      ({ folder, group }) => `${safe(folder)} — ${ctx.paint('magenta', plural(group.count, 'conflict', 'conflicts'))} between ${names(group.machines)}`,
    );
    return `${title}\n${folderLines(ctx, groups, lines, conflicts.length)}\n${hint}`;
  }
  const p = ctx.paint;
  const rows: string[][] = [];
  for (const c of conflicts) {
    c.versions.forEach((v, i) => {
      rows.push([
        i === 0 ? p('magenta', safe(c.path)) : '',
        i === 0 ? safe(c.reason) : '',
        names(v.machines),
        v.entry === null ? 'absent' : formatMtime(v.entry.mtime),
        v.entry === null ? '' : describeEntry(v.entry),
        v.changed ? p('yellow', 'changed') : 'unchanged',
      ]);
    });
  }
  const head = ['path', 'reason', 'machines', 'mtime', 'size', 'since last sync'].map((h) => p('bold', h));
  return `${title}\n${renderTable(rows, { head, width: ctx.width, flex: 0 })}\n${hint}`;
}

function deletionStatus(p: Paint, d: Deletion): string {
  return d.propagated ? p('red', 'propagated (to trash)') : p('yellow', 'held');
}

function renderDeletions(ctx: Ctx, deletions: readonly Deletion[]): string {
  const p = ctx.paint;
  const notes: string[] = [];
  if (deletions.some((d) => !d.propagated)) notes.push('held: left alone; deletions are propagated only when asked');
  if (deletions.some((d) => d.propagated)) notes.push('propagated: the remaining copies are moved to the trash folder');
  const title = `${heading(ctx, `Deletions (${deletions.length}):`)}\n${notes.map((n) => `  ${p('dim', `(${n})`)}`).join('\n')}`;
  if (deletions.length > MAX_LISTED_ROWS && !ctx.full) {
    const groups = groupByFolder(
      ctx,
      deletions,
      (d) => d.path,
      (d) => (d.propagated ? 'propagated' : 'held'),
      (d) => d.deletedOn,
    );
    const lines = groups.map(({ folder, kind, group }) => {
      const what = kind === 'propagated' ? p('red', 'to propagate') : p('yellow', 'held');
      return `${safe(folder)} — ${plural(group.count, 'deletion', 'deletions')} ${what} (deleted on ${names(group.machines)})`;
    });
    return `${title}\n${folderLines(ctx, groups, lines, deletions.length)}`;
  }
  const rows = deletions.map((d) => [safe(d.path), names(d.deletedOn), names(d.heldOn), deletionStatus(p, d)]);
  const head = ['path', 'deleted on', 'still on', 'status'].map((h) => p('bold', h));
  return `${title}\n${renderTable(rows, { head, width: ctx.width, flex: 0 })}`;
}

/** The mass-deletion guard's verdict, as apply would give it without --force-deletes. */
function renderDeletionGuard(ctx: Ctx, problems: readonly string[]): string {
  if (problems.length === 0) return `${heading(ctx, 'Deletion guard:')} ${ctx.paint('green', 'passes')}`;
  const lines = [`${heading(ctx, 'Deletion guard:')} ${ctx.paint('red', 'apply would refuse')} (check that no disk is unmounted; pass --force-deletes to go ahead):`];
  for (const p of problems) lines.push(`  ${safe(p)}`);
  return lines.join('\n');
}

/** One warning in words. */
function warningLine(w: PlanWarning): string {
  if (w.kind === 'future') return `${safe(w.path)}: dated ${formatMtime(w.mtime)} on ${safe(w.machine)}, in the future of its clock: it never wins by being newest`;
  return `${safe(w.path)} on ${safe(w.machine)}: could not read (${safe(w.reason)}): nothing under it is copied, deleted or moved to trash on any machine until the scan can read it`;
}

function renderWarnings(ctx: Ctx, warnings: readonly PlanWarning[]): string {
  const shown = ctx.full ? warnings : warnings.slice(0, MAX_LISTED_ROWS);
  const lines = shown.map((w) => `  ${ctx.paint('yellow', warningLine(w))}`);
  if (shown.length < warnings.length) lines.push(`  ${ctx.paint('dim', `(${warnings.length - shown.length} more; use --full to list them all)`)}`);
  return `${heading(ctx, `Warnings (${warnings.length}):`)}\n${lines.join('\n')}`;
}

// ---------------------------------------------------------------- whole view

/**
 * The human plan view: header, step table, deferred/conflict/deletion sections, summary line,
 * and last what remains (see buildRemaining); "No changes … in sync" only when nothing does.
 */
export function renderPlanText(plan: Plan, opts: PlanTextOptions): string {
  const order = new Map(plan.machines.map((m, i) => [m.name, i] as const));
  const ctx: Ctx = { paint: buildPaint(opts.color), full: opts.full, width: opts.width, order };
  const blocks = [renderHeader(ctx, plan)];
  if (plan.targets.length > 0) blocks.push(`${heading(ctx, 'Narrowed to:')} ${plan.targets.map(safe).join(', ')}`);
  const remaining = buildRemaining(plan);
  if (isEmptyPlan(plan) && remaining.length === 0) {
    blocks.push(ctx.paint('green', renderNoChangesLine(plan.inSync)));
    return `${blocks.join('\n\n')}\n`;
  }
  if (plan.steps.length > 0) blocks.push(renderSteps(ctx, plan.steps));
  if (plan.deferred.length > 0) blocks.push(renderDeferred(ctx, plan.deferred));
  if (plan.conflicts.length > 0) blocks.push(renderConflicts(ctx, plan.conflicts));
  if (plan.deletions.length > 0) blocks.push(renderDeletions(ctx, plan.deletions));
  if (plan.warnings.length > 0) blocks.push(renderWarnings(ctx, plan.warnings));
  if (opts.deletionGuard !== undefined) blocks.push(renderDeletionGuard(ctx, opts.deletionGuard));
  const propagated = plan.deletions.some((d) => d.propagated);
  if (!isEmptyPlan(plan)) blocks.push(ctx.paint('bold', renderSummaryLine(summarisePlan(plan), propagated)));
  else blocks.push('No changes can be made now.');
  return `${blocks.join('\n\n')}\n${ctx.paint('bold', renderRemainingLine(remaining))}\n`;
}
