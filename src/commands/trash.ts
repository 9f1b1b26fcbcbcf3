// `blat trash`, `blat trash restore`, `blat trash prune`: the versions apply kept on each machine.
import { takeMachineLocks } from '../apply/machineLocks.js';
import { buildPruneCutoff, buildTrashRun, parseTrashRun } from '../apply/trashRun.js';
import { isUnder, normaliseSyncPath } from '../config/paths.js';
import { escapeControls, sanitizeForTerminal } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { buildTrashDocument, renderTrashText, type MachineTrash } from '../render/trash.js';
import { runScript } from '../transport/runScript.js';
import { buildScriptTarget } from '../transport/targets.js';
import {
  buildTrashListScript,
  buildTrashPruneScript,
  buildTrashRestoreScript,
  parsePruneOutput,
  parseTrashList,
} from '../transport/trashStoreScript.js';
import type { MachineConfig } from '../types.js';
import { withLock } from '../apply/stateLock.js';
import { readRunContext, readySshOptions, type RunContext } from './context.js';
import { wantsColor, writeJson, type CommandIO, type GlobalOptions } from './io.js';

/** `blat trash [--json]`: what each in-use machine's trash holds. Exit 0, or 2 when a machine could not be listed. */
export async function trashListCommand(flags: GlobalOptions & { json?: boolean }, io: CommandIO): Promise<number> {
  const ctx = await readRunContext(flags, io);
  const sshOptions = await readySshOptions(ctx.config);
  const trash = await Promise.all(inUse(ctx).map((m) => readMachineTrash(ctx, m, sshOptions)));
  if (flags.json) writeJson(io, buildTrashDocument(trash), 2);
  else io.stdout(renderTrashText(trash, { color: wantsColor(io), nowMs: io.now() }));
  return trash.some((t) => t.problem !== undefined) ? 2 : 0;
}

/**
 * `blat trash restore PATH --machine M [--run RUN]`: puts the version kept for PATH (newest run
 * holding it, unless --run) back on M; what is at PATH now goes to M's trash first.
 */
export async function trashRestoreCommand(arg: string, flags: GlobalOptions & { machine?: string; run?: string }, io: CommandIO): Promise<number> {
  const ctx = await readRunContext(flags, io);
  const path = normaliseSyncPath(arg);
  if (path === null || !ctx.config.paths.some((p) => isUnder(path, p))) {
    throw new UsageError(`${escapeControls(arg)}: not a path under the sync paths (${ctx.config.paths.map(escapeControls).join(', ')}); give it as blat trash lists it`);
  }
  if (flags.machine === undefined) throw new UsageError('trash restore: --machine MACHINE is required (the machine whose trash holds the version)');
  const machine = inUse(ctx).find((m) => m.name === flags.machine);
  if (!machine) throw new UsageError(`--machine ${JSON.stringify(flags.machine)}: not a machine in use (${inUse(ctx).map((m) => m.name).join(', ')})`);
  if (flags.run !== undefined && parseTrashRun(flags.run) === undefined) throw new UsageError(`--run ${escapeControls(JSON.stringify(flags.run))}: not a trash run name (like 2024-05-01T12-00-00-000Z)`);
  const sshOptions = await readySshOptions(ctx.config);
  return withLock(ctx, io, `trash restore`, async () => {
    let run = flags.run;
    if (run === undefined) {
      const listed = await readMachineTrash(ctx, machine, sshOptions);
      if (listed.problem !== undefined) throw new BlatError(`${machine.name}: cannot list its trash (${escapeControls(listed.problem)})`);
      const runs = (listed.kept ?? []).filter((k) => k.path === path).map((k) => k.run).sort();
      run = runs.at(-1);
      if (run === undefined) throw new BlatError(`${escapeControls(path)}: no version of it is kept in ${machine.name}'s trash (see blat trash)`);
    }
    const stamp = buildTrashRun(io.now());
    // The machine is written: locked like an apply locks it (refused while another blat writes it).
    const holder = { host: io.hostname, pid: process.pid, run: `${io.now().toString(36)}-${process.pid}`, nowMs: io.now() };
    const locks = await takeMachineLocks(ctx.config, ctx.self.name, sshOptions, [machine.name], holder);
    for (const line of locks.warnings) io.stderr(`warning: ${escapeControls(line)}\n`);
    const chunks: Buffer[] = [];
    const result = await runScript(buildScriptTarget(machine, ctx.self.name, sshOptions, { stallTimeout: ctx.config.stallTimeout }), buildTrashRestoreScript(machine.root, run, path, stamp), (c) => chunks.push(c)).finally(() => locks.release());
    const status = Buffer.concat(chunks).toString('latin1').split('\0')[0];
    const where = `${escapeControls(path)} on ${machine.name}`;
    if (result.unreachable) throw new BlatError(`${machine.name} unreachable (${escapeControls(result.unreachable)}); nothing restored`);
    if (status === 'missing') throw new BlatError(`${where}: no version kept in run ${run} (see blat trash)`);
    if (status === 'folder') throw new BlatError(`${where} is a folder now; left alone, nothing restored`);
    if (status !== 'ok') throw new BlatError(`${where}: could not restore it from run ${run}${result.exitCode === 3 ? ` (root ${escapeControls(machine.root)} missing)` : ''}`);
    io.stdout(`Restored ${sanitizeForTerminal(path)} on ${sanitizeForTerminal(machine.name)} from run ${run}; whatever was there is kept in run ${stamp}. The next plan sees it as changed on ${sanitizeForTerminal(machine.name)}; where another machine holds a newer version that is a conflict: take this one with blat apply --prefer ${sanitizeForTerminal(machine.name)}.\n`);
    return 0;
  });
}

/** `blat trash prune`: removes the runs older than trash.keepDays from every in-use machine's trash. Exit 0, or 2 when a machine could not be pruned. */
export async function trashPruneCommand(flags: GlobalOptions, io: CommandIO): Promise<number> {
  const ctx = await readRunContext(flags, io);
  const sshOptions = await readySshOptions(ctx.config);
  const before = buildPruneCutoff(io.now(), ctx.config.trash.keepDays);
  return withLock(ctx, io, 'trash prune', async () => {
    let code = 0;
    const results = await Promise.all(
      inUse(ctx).map(async (m) => {
        const chunks: Buffer[] = [];
        const result = await runScript(buildScriptTarget(m, ctx.self.name, sshOptions, { stallTimeout: ctx.config.stallTimeout }), buildTrashPruneScript(m.root, before), (c) => chunks.push(c));
        return { m, result, pruned: parsePruneOutput(Buffer.concat(chunks)) };
      }),
    );
    for (const { m, result, pruned } of results) {
      const name = sanitizeForTerminal(m.name);
      if (result.unreachable || result.exitCode !== 0) {
        code = 2;
        io.stdout(`${name}: not pruned (${result.unreachable ? `unreachable: ${sanitizeForTerminal(result.unreachable)}` : result.exitCode === 3 ? `root ${sanitizeForTerminal(m.root)} missing` : `exit code ${result.exitCode}`})\n`);
      } else io.stdout(`${name}: ${pruned.length === 0 ? 'no run' : pruned.length === 1 ? '1 run' : `${pruned.length} runs`} older than ${ctx.config.trash.keepDays} days removed${pruned.length ? ` (${pruned.sort().join(', ')})` : ''}\n`);
    }
    return code;
  });
}

/** The machines a trash command looks at: every machine not declared outofuse. */
function inUse(ctx: RunContext): MachineConfig[] {
  return ctx.config.machines.filter((m) => m.state !== 'outofuse');
}

/** One machine's trash, or why it could not be listed. */
async function readMachineTrash(ctx: RunContext, m: MachineConfig, sshOptions: readonly string[]): Promise<MachineTrash> {
  const chunks: Buffer[] = [];
  const result = await runScript(buildScriptTarget(m, ctx.self.name, sshOptions, { stallTimeout: ctx.config.stallTimeout }), buildTrashListScript(m.root), (c) => chunks.push(c));
  if (result.unreachable) return { machine: m.name, problem: `unreachable: ${result.unreachable}` };
  const listed = parseTrashList(Buffer.concat(chunks));
  if (!listed.rootExists && listed.complete) return { machine: m.name, problem: `root ${m.root} missing` };
  if (!listed.complete) return { machine: m.name, problem: `listing cut short: ${result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}`}` };
  return { machine: m.name, kept: listed.kept };
}
