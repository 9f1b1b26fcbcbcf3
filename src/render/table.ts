// The human view of a plan: machine header, steps table, deferred, conflicts, deletions, summary.
import { isEmptyPlan, summarisePlan } from '../plan/summary.js';
import type { Conflict, Deferred, Deletion, Entry, MachineObservation, Plan, PlanWarning, Step } from '../types.js';
import { CONTROLLER } from '../config/self.js';
import { formatClockOffset, formatMtime, formatSize, plural } from './format.js';
import { buildRemaining } from '../plan/remaining.js';
import { countFiles, describeTransfers, formatCount, renderNoChangesLine, renderRemainingLine, renderSummaryLine } from './summary.js';
import { displayWidth, fitLines, shortenMiddle, wrapProse } from './width.js';
import { buildPaint, renderTable, type Paint } from './style.js';
import { sanitizeForTerminal as safe } from '../escape.js';

/** Plans with at most this many steps list them one by one in the default view; more are counted per folder and machine (see countingDepth). */
export const MAX_LISTED_STEPS = 20;
/** Rows of step counts shown in the default view. */
export const MAX_DEFAULT_GROUPS = 12;
/** Conflicts, deletions and deferred entries listed in the default view (a note says how many more). */
export const MAX_LISTED_ITEMS = 10;
/** Warnings listed in the default view. */
export const MAX_LISTED_WARNINGS = 5;

export interface PlanTextOptions {
  readonly color: boolean;
  /** List every path even in long sections. */
  readonly full: boolean;
  /** Terminal width the default view fits in (paths shortened in the middle); unlimited when absent, and with `full`. */
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
  return p(action === 'pull' ? 'cyan' : action === 'push' || action === 'copy' ? 'green' : action === 'copy-aside' || action === 'move' ? 'yellow' : 'red', action);
}

/** `natural` when it fits the width (or none is set), else the narrower layout. */
function fitsOrElse(ctx: Ctx, natural: string, narrow: () => string): string {
  if (ctx.width === undefined) return natural;
  return natural.split('\n').every((l) => displayWidth(l) <= (ctx.width as number)) ? natural : narrow();
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
  const table = (state: (m: MachineObservation) => string): string => {
    const rows = plan.machines.map((m) => [
      m.name === plan.self ? `${safe(m.name)} ${ctx.paint('bold', '(self)')}` : safe(m.name),
      state(m),
      m.os ?? '',
      m.clockOffsetMs !== undefined && Math.abs(m.clockOffsetMs) > 1000 ? ctx.paint('yellow', `clock ${formatClockOffset(m.clockOffsetMs)}`) : '',
    ]);
    return rows.length > 0 ? `\n${indent(renderTable(rows, { borderless: true }))}` : '';
  };
  // A controller (self: none) is none of them: said once, above them.
  const runner = plan.self === CONTROLLER ? ` ${ctx.paint('dim', '(self: none, this runner holds no copy)')}` : '';
  const whole = `${heading(ctx, 'Machines:')}${runner}${table((m) => machineState(ctx.paint, m))}`;
  // Too wide (a long reason): the states in a word, each reason in full below.
  return fitsOrElse(ctx, whole, () => {
    const reasons = plan.machines.filter((m) => m.status === 'offline' && m.reason !== undefined).map((m) => ctx.paint('red', wrapProse(`${safe(m.name)}: ${safe(m.reason as string)}`, ctx.width as number, '  ')));
    const short = (m: MachineObservation): string => (m.status === 'offline' ? ctx.paint('red', m.rootMissing ? 'root missing' : 'offline') : machineState(ctx.paint, m));
    return [`${heading(ctx, 'Machines:')}${runner}${table(short)}`, ...reasons].join('\n');
  });
}

function indent(block: string): string {
  return indentBy('  ', block);
}

function indentBy(prefix: string, block: string): string {
  return block
    .split('\n')
    .map((l) => (l === '' ? l : `${prefix}${l}`))
    .join('\n');
}

// ---------------------------------------------------------------- default view: bounded sections

/** The folder of a sync path `depth` levels down at most (`docs/` at 1, `docs/a/` at 2), `./` for a path at the top. */
function folderAt(path: string, depth: number): string {
  let end = -1;
  for (let d = 0; d < depth; d++) {
    const next = path.indexOf('/', end + 1);
    if (next < 0) break;
    end = next;
  }
  return end < 0 ? './' : path.slice(0, end + 1);
}

/** How deep step counts go: the top folders, or deeper while that still fits MAX_DEFAULT_GROUPS rows and says more. */
function countingDepth(steps: readonly Step[]): number {
  const groups = (depth: number) => new Set(steps.map((s) => `${folderAt(s.path, depth)}\u0000${s.action}\u0000${groupEnds(s)}`)).size;
  let depth = 1;
  let count = groups(1);
  while (depth < 4) {
    const deeper = groups(depth + 1);
    if (deeper > MAX_DEFAULT_GROUPS || deeper === count) break;
    depth++;
    count = deeper;
  }
  return depth;
}

/** The machines a step is counted under: the source of a pull, both ends of a copy (a controller's), else the target. */
function groupEnds(s: Step): string {
  return s.action === 'pull' ? s.from : s.action === 'copy' ? `${s.from}\u0000${s.to}` : s.to;
}

/** `(and 12 more conflicts: blat plan --full)`, dimmed, indented. */
function moreNote(ctx: Ctx, n: number, what: string): string {
  return `  ${ctx.paint('dim', `(and ${formatCount(n)} more ${what}: blat plan --full)`)}`;
}

/** Steps counted per top folder, action and machine (the other end): files and bytes, the largest groups first. */
function renderStepCounts(ctx: Ctx, steps: readonly Step[]): string {
  const groups = new Map<string, { folder: string; action: Step['action']; machine: string; from: string; files: number; bytes: number; changed: number }>();
  const depth = countingDepth(steps);
  for (const s of steps) {
    const machine = s.action === 'pull' ? s.from : s.to;
    const folder = folderAt(s.path, depth);
    const key = `${folder}\u0000${s.action}\u0000${groupEnds(s)}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { folder, action: s.action, machine, from: s.from, files: 0, bytes: 0, changed: 0 }));
    const entry = s.action === 'trash' ? s.target : s.source;
    if (s.replaces === 'changed') g.changed++;
    if (entry === null || entry.type === 'dir') continue;
    g.files++;
    if (entry.type === 'file') g.bytes += entry.size;
  }
  const rank = (m: string): number => ctx.order.get(m) ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...groups.values()].sort((x, y) => y.files - x.files || (x.folder < y.folder ? -1 : x.folder > y.folder ? 1 : 0) || rank(x.machine) - rank(y.machine));
  const shown = sorted.slice(0, MAX_DEFAULT_GROUPS);
  const p = ctx.paint;
  const rows = shown.map((g) => [
    safe(g.folder),
    paintAction(p, g.action),
    g.action === 'copy' ? `${safe(g.from)} → ${safe(g.machine)}` : `${g.action === 'pull' ? 'from' : g.action === 'push' ? 'to' : 'on'} ${safe(g.machine)}`,
    formatCount(g.files),
    g.action === 'trash' ? '' : formatSize(g.bytes),
    g.changed === 0 ? '' : p('yellow', `${formatCount(g.changed)} replacing a version changed since the last sync`),
  ]);
  const head = ['folder', 'action', 'machine', 'files', 'size', 'note'].map((h) => p('bold', h));
  const lines = [heading(ctx, `Steps (${formatCount(steps.length)}), per folder and machine:`), renderTable(rows, { head, width: ctx.width, flex: [0, 5] })];
  if (sorted.length > shown.length) lines.push(moreNote(ctx, sorted.length - shown.length, 'folders and machines'));
  else lines.push(`  ${p('dim', '(every step: blat plan --full)')}`);
  return lines.join('\n');
}

/** Deferred entries counted per machine: files, bytes and why. */
function renderDeferredCounts(ctx: Ctx, deferred: readonly Deferred[]): string {
  const byMachine = new Map<string, { files: number; bytes: number; reason: string }>();
  for (const d of deferred) {
    let g = byMachine.get(d.machine);
    if (g === undefined) byMachine.set(d.machine, (g = { files: 0, bytes: 0, reason: d.reason }));
    if (d.source.type === 'dir') continue; // folders are not counted as files
    g.files++;
    if (d.source.type === 'file') g.bytes += d.source.size;
  }
  const lines = [heading(ctx, `Deferred (${formatCount(deferred.length)}) — owed to machines that cannot be served now:`)];
  for (const [machine, g] of byMachine) {
    const text = `${safe(machine)}: ${countFiles(g.files)} (${formatSize(g.bytes)}) owed: ${safe(g.reason)}`;
    lines.push(ctx.width === undefined ? `  ${text}` : wrapProse(text, ctx.width, '  '));
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- sections

function renderSteps(ctx: Ctx, steps: readonly Step[]): string {
  if (steps.length > MAX_LISTED_STEPS && !ctx.full) return renderStepCounts(ctx, steps);
  const title = heading(ctx, `Steps (${formatCount(steps.length)}):`);
  const p = ctx.paint;
  // Too wide for the width, the mtime gives way to the path, then the why (--full shows both).
  const table = (dated: boolean, why: boolean, width?: number): string => {
    const rows = steps.map((s) => {
      const shown = s.action === 'trash' ? s.target : s.source;
      return [
        paintAction(p, s.action),
        safe(s.path),
        s.action === 'copy-aside' ? `on ${safe(s.from)}` : s.action === 'move' ? `on ${safe(s.to)}` : `${safe(s.from)} → ${safe(s.to)}`,
        ...(why ? [stepWhy(p, s)] : []),
        describeEntry(shown),
        ...(dated ? [shown === null ? '' : formatMtime(shown.mtime)] : []),
      ];
    });
    const head = ['action', 'path', 'from → to', ...(why ? ['why'] : []), 'size', ...(dated ? ['mtime'] : [])].map((h) => p('bold', h));
    return renderTable(rows, { head, width, flex: 1 });
  };
  const changed = steps.filter((s) => s.replaces === 'changed').length;
  const narrow = (): string => {
    const text = `(${plural(changed, 'step replaces', 'steps replace')} a version changed since the last sync, kept in trash: blat plan --full)`;
    const note = changed === 0 ? '' : `\n${p('yellow', wrapProse(text, ctx.width as number, '  '))}`;
    return `${table(false, false, ctx.width)}${note}`;
  };
  return `${title}\n${fitsOrElse(ctx, table(true, true), () => fitsOrElse(ctx, table(false, true), narrow))}`;
}

function renderDeferred(ctx: Ctx, deferred: readonly Deferred[]): string {
  if (deferred.length > MAX_LISTED_ITEMS && !ctx.full) return renderDeferredCounts(ctx, deferred);
  const title = heading(ctx, `Deferred (${formatCount(deferred.length)}) — owed to machines that cannot be served now:`);
  const p = ctx.paint;
  const table = (dated: boolean): string => {
    const rows = deferred.map((d) => [safe(d.path), p('yellow', safe(d.machine)), safe(d.reason), describeEntry(d.source), ...(dated ? [formatMtime(d.source.mtime)] : [])]);
    const head = ['path', 'machine', 'reason', 'size', ...(dated ? ['mtime'] : [])].map((h) => p('bold', h));
    return renderTable(rows, { head, flex: 0 });
  };
  // Too wide even without dates: counted per machine, each reason in full.
  return fitsOrElse(ctx, `${title}\n${table(true)}`, () => fitsOrElse(ctx, `${title}\n${table(false)}`, () => renderDeferredCounts(ctx, deferred)));
}

function renderConflicts(ctx: Ctx, all: readonly Conflict[]): string {
  const title = heading(ctx, `Conflicts (${formatCount(all.length)}) — changed differently on several machines; nothing is copied:`);
  const hint = `  ${ctx.paint('dim', '(compare with blat diff PATH; resolve with --prefer newest or --prefer MACHINE)')}`;
  const conflicts = ctx.full ? all : all.slice(0, MAX_LISTED_ITEMS);
  const more = conflicts.length < all.length ? `\n${moreNote(ctx, all.length - conflicts.length, 'conflicts')}` : '';
  const p = ctx.paint;
  const table = (): string => {
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
    return renderTable(rows, { head, flex: 0 });
  };
  // Too wide for the table: each conflict as its path and reason, then one line per version.
  const blocks = (width: number): string =>
    conflicts
      .map((c) => {
        const head = `${safe(c.path)} — ${safe(c.reason)}`;
        const top = displayWidth(head) + 2 <= width ? `  ${p('magenta', safe(c.path))} — ${safe(c.reason)}` : `  ${p('magenta', shortenMiddle(safe(c.path), width - 2))}\n${wrapProse(safe(c.reason), width, '    ')}`;
        const rows = c.versions.map((v) => [
          names(v.machines),
          v.entry === null ? 'absent' : formatMtime(v.entry.mtime),
          v.entry === null ? '' : describeEntry(v.entry),
          v.changed ? p('yellow', 'changed since the last sync') : 'unchanged',
        ]);
        return `${top}\n${indentBy('    ', renderTable(rows, { borderless: true, width: width - 4 }))}`;
      })
      .join('\n');
  return `${title}\n${fitsOrElse(ctx, table(), () => blocks(ctx.width as number))}${more}\n${hint}`;
}

function deletionStatus(p: Paint, d: Deletion): string {
  return d.propagated ? p('red', 'propagated (to trash)') : p('yellow', 'held');
}

function renderDeletions(ctx: Ctx, all: readonly Deletion[]): string {
  const p = ctx.paint;
  const notes: string[] = [];
  if (all.some((d) => !d.propagated)) notes.push('held: left alone; deletions are propagated only when asked');
  if (all.some((d) => d.propagated)) notes.push('propagated: the remaining copies are moved to the trash folder');
  const title = `${heading(ctx, `Deletions (${formatCount(all.length)}):`)}\n${notes.map((n) => `  ${p('dim', `(${n})`)}`).join('\n')}`;
  // The held ones first: they wait for a person's decision.
  const ordered = ctx.full ? all : [...all.filter((d) => !d.propagated), ...all.filter((d) => d.propagated)];
  const deletions = ctx.full ? all : ordered.slice(0, MAX_LISTED_ITEMS);
  const more = deletions.length < all.length ? `\n${moreNote(ctx, all.length - deletions.length, 'deletions')}` : '';
  const rows = deletions.map((d) => [safe(d.path), names(d.deletedOn), names(d.heldOn), deletionStatus(p, d)]);
  const head = ['path', 'deleted on', 'still on', 'status'].map((h) => p('bold', h));
  return `${title}\n${renderTable(rows, { head, width: ctx.width, flex: 0 })}${more}`;
}

/** The mass-deletion guard's verdict, as apply would give it without --force-deletes. */
function renderDeletionGuard(ctx: Ctx, problems: readonly string[]): string {
  if (problems.length === 0) return `${heading(ctx, 'Deletion guard:')} ${ctx.paint('green', 'passes')}`;
  const lines = [`${heading(ctx, 'Deletion guard:')} ${ctx.paint('red', 'apply would refuse')} (check that no disk is unmounted; pass --force-deletes to go ahead):`];
  for (const p of problems) lines.push(ctx.width === undefined ? `  ${safe(p)}` : wrapProse(safe(p), ctx.width, '  '));
  return lines.join('\n');
}

/** One warning in words. */
function warningLine(w: PlanWarning): string {
  if (w.kind === 'future') return `${safe(w.path)}: dated ${formatMtime(w.mtime)} on ${safe(w.machine)}, in the future of its clock: it never wins by being newest`;
  return `${safe(w.path)} on ${safe(w.machine)}: could not read (${safe(w.reason)}): nothing under it is copied, deleted or moved to trash on any machine until the scan can read it`;
}

function renderWarnings(ctx: Ctx, warnings: readonly PlanWarning[]): string {
  const shown = ctx.full ? warnings : warnings.slice(0, MAX_LISTED_WARNINGS);
  const lines = shown.map((w) => (ctx.width === undefined ? `  ${ctx.paint('yellow', warningLine(w))}` : ctx.paint('yellow', wrapProse(warningLine(w), ctx.width, '  '))));
  if (shown.length < warnings.length) lines.push(moreNote(ctx, warnings.length - shown.length, 'warnings'));
  return `${heading(ctx, `Warnings (${warnings.length}):`)}\n${lines.join('\n')}`;
}

// ---------------------------------------------------------------- whole view

/**
 * The human plan view: header, step table, deferred/conflict/deletion sections, summary line,
 * and last what remains (see buildRemaining); "No changes … in sync" only when nothing does.
 */
export function renderPlanText(plan: Plan, opts: PlanTextOptions): string {
  const order = new Map(plan.machines.map((m, i) => [m.name, i] as const));
  const width = opts.full ? undefined : opts.width;
  const ctx: Ctx = { paint: buildPaint(opts.color), full: opts.full, width, order };
  const fit = (text: string): string => (width === undefined ? text : fitLines(text, width));
  const blocks = [renderHeader(ctx, plan)];
  if (plan.targets.length > 0) blocks.push(`${heading(ctx, 'Narrowed to:')} ${plan.targets.map(safe).join(', ')}`);
  const remaining = buildRemaining(plan);
  if (isEmptyPlan(plan) && remaining.length === 0) {
    blocks.push(ctx.paint('green', renderNoChangesLine(plan.inSync)));
    return fit(`${blocks.join('\n\n')}\n`);
  }
  if (plan.steps.length > 0) blocks.push(renderSteps(ctx, plan.steps));
  if (plan.deferred.length > 0) blocks.push(renderDeferred(ctx, plan.deferred));
  if (plan.conflicts.length > 0) blocks.push(renderConflicts(ctx, plan.conflicts));
  if (plan.deletions.length > 0) blocks.push(renderDeletions(ctx, plan.deletions));
  if (plan.warnings.length > 0) blocks.push(renderWarnings(ctx, plan.warnings));
  if (opts.deletionGuard !== undefined) blocks.push(renderDeletionGuard(ctx, opts.deletionGuard));
  const propagated = plan.deletions.some((d) => d.propagated);
  const words = describeTransfers(plan, safe, '\n');
  if (words !== '') blocks.push(words.split('\n').map((w) => `${capitalise(w)}.`).join('\n'));
  // The two last lines are matched whole by scripts: never shortened.
  const last = [isEmptyPlan(plan) ? 'No changes can be made now.' : ctx.paint('bold', renderSummaryLine(summarisePlan(plan), propagated)), ctx.paint('bold', renderRemainingLine(remaining))];
  return `${fit(blocks.join('\n\n'))}\n${words === '' ? '\n' : ''}${last.join('\n')}\n`;
}

/** `text` with its first letter upper-case. */
function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
