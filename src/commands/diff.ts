import { escapeControls, sanitizeForTerminal } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { buildDiffChoice, buildHeldVersions, type HeldVersion } from '../plan/diffChoice.js';
import { renderBinaryComparison, renderTextDiff, type DiffSide } from '../render/diff.js';
import { formatSize } from '../render/format.js';
import { scanSnapshot } from '../snapshot/scanSnapshot.js';
import { buildReadFileScript, buildSha256Script } from '../transport/fileScript.js';
import { runScript } from '../transport/runScript.js';
import { buildScriptTarget } from '../transport/targets.js';
import type { Config, Entry } from '../types.js';
import { readRunContext, readySshOptions } from './context.js';
import type { CommandIO, GlobalOptions } from './io.js';

/** Versions larger than this are compared by sha256, not line by line. */
const TEXT_LIMIT = 1024 * 1024;

/**
 * `blat diff PATH [MACHINE MACHINE]`: a unified diff of two versions of a file, read over the
 * usual transports (nothing written on any machine): by default the two newest versions; for
 * binary or large files their sizes, mtimes and sha256 instead.
 */
export async function diffCommand(path: string, machines: readonly string[], flags: GlobalOptions, io: CommandIO): Promise<number> {
  if (machines.length !== 0 && machines.length !== 2) throw new UsageError('diff: name two machines, or none (the two newest versions)');
  const ctx = await readRunContext(flags, io, [path]);
  const { config } = ctx;
  if (ctx.targets.length !== 1) throw new UsageError(`${escapeControls(path)} names a folder holding several sync paths: name one file`);
  const target = ctx.targets[0];
  for (const m of machines) {
    const found = config.machines.find((c) => c.name === m);
    if (!found) throw new UsageError(`diff: ${escapeControls(m)} is not a machine in ${escapeControls(config.file)} (machines: ${config.machines.map((c) => c.name).join(', ')})`);
    if (found.state === 'outofuse') throw new UsageError(`diff: ${m} is out of use (state: outofuse)`);
  }
  if (machines.length === 2 && machines[0] === machines[1]) throw new UsageError('diff: name two different machines');

  const sshOptions = await readySshOptions(config);
  const { snapshot } = await scanSnapshot({ config, self: ctx.self.name, paths: [target], sshOptions });
  for (const m of snapshot.machines) {
    if (m.status === 'offline') io.stderr(`warning: ${m.name} not compared: ${sanitizeForTerminal(m.reason ?? 'offline')}\n`);
  }
  const held = snapshot.machines.filter((m) => m.status === 'online').map((m) => ({ machine: m.name, entry: snapshot.entries.get(m.name)?.get(target) }));
  if (held.some((h) => h.entry?.type === 'dir')) throw new UsageError(`${escapeControls(target)} is a folder: name a file under it`);
  const named = machines.length === 2 ? ([machines[0], machines[1]] as const) : undefined;
  for (const m of named ?? []) {
    if (!held.some((h) => h.machine === m)) throw new BlatError(`diff: ${m} did not answer the scan`);
  }
  const choice = buildDiffChoice(buildHeldVersions(held), named);
  if (choice.kind === 'none') throw new BlatError(`${escapeControls(target)}: ${choice.reason}`);
  if (choice.kind === 'same') {
    const v = choice.version;
    io.stdout(`${sanitizeForTerminal(target)}: one version on ${v.machines.join(', ')} (${describeEntry(v.entry)}); nothing to compare.\n`);
    return 0;
  }
  const { a, b } = choice;
  if (a.entry.type !== 'file' || b.entry.type !== 'file') {
    io.stdout(`${sanitizeForTerminal(target)}:\n  ${a.machines.join(', ')}: ${sanitizeForTerminal(describeEntry(a.entry))}\n  ${b.machines.join(', ')}: ${sanitizeForTerminal(describeEntry(b.entry))}\n`);
    return 0;
  }
  const small = a.entry.size <= TEXT_LIMIT && b.entry.size <= TEXT_LIMIT;
  const texts = small ? await Promise.all([a, b].map((v) => readText(config, ctx.self.name, sshOptions, v, target))) : [undefined, undefined];
  if (texts[0] !== undefined && texts[1] !== undefined) {
    io.stdout(renderTextDiff(target, { ...side(a), text: texts[0] }, { ...side(b), text: texts[1] }));
    return 0;
  }
  const sums = await Promise.all([a, b].map((v) => readSha256(config, ctx.self.name, sshOptions, v, target)));
  const why = small ? 'binary content' : `larger than ${formatSize(TEXT_LIMIT)}`;
  io.stdout(renderBinaryComparison(target, { ...side(a), sha256: sums[0] }, { ...side(b), sha256: sums[1] }, why));
  return 0;
}

function side(v: HeldVersion): DiffSide {
  return { machines: v.machines, entry: v.entry };
}

/** `file, 12 B, mode 644` / `symlink → target`. */
function describeEntry(e: Entry): string {
  if (e.type === 'symlink') return `symlink → ${e.target ?? ''}`;
  if (e.type === 'dir') return 'folder';
  return `file, ${formatSize(e.size)}, mode ${e.mode.toString(8)}`;
}

/**
 * Runs a script on the first machine holding the version: its stdout and exit code; a BlatError
 * naming the machine when it cannot be reached or the file is no longer a file there.
 */
async function readFrom(config: Config, self: string, sshOptions: readonly string[], v: HeldVersion, script: (root: string) => string): Promise<{ bytes: Buffer; exitCode: number }> {
  const machine = config.machines.find((m) => m.name === v.machines[0])!;
  const chunks: Buffer[] = [];
  const result = await runScript(buildScriptTarget(machine, self, sshOptions, { stallTimeout: config.stallTimeout }), script(machine.root), (c) => chunks.push(c));
  if (result.unreachable) throw new BlatError(`diff: ${machine.name} unreachable (${result.unreachable})`);
  if (result.exitCode === 3) throw new BlatError(`diff: root ${escapeControls(machine.root)} missing on ${machine.name}`);
  if (result.exitCode === 4) throw new BlatError(`diff: the file is no longer a file on ${machine.name}; run blat diff again`);
  return { bytes: Buffer.concat(chunks), exitCode: result.exitCode };
}

/** The version's content as text, or undefined when it is not text (a NUL, or not UTF-8). */
async function readText(config: Config, self: string, sshOptions: readonly string[], v: HeldVersion, path: string): Promise<string | undefined> {
  const { bytes, exitCode } = await readFrom(config, self, sshOptions, v, (root) => buildReadFileScript(root, path, TEXT_LIMIT + 1));
  if (exitCode !== 0) throw new BlatError(`diff: cannot read ${escapeControls(path)} on ${v.machines[0]} (exit ${exitCode})`);
  if (bytes.length > TEXT_LIMIT || bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The version's sha256, or undefined when the machine has no tool for it (or it failed). */
async function readSha256(config: Config, self: string, sshOptions: readonly string[], v: HeldVersion, path: string): Promise<string | undefined> {
  const { bytes, exitCode } = await readFrom(config, self, sshOptions, v, (root) => buildSha256Script(root, path));
  const out = bytes.toString('utf8').trim();
  return exitCode === 0 && /^[0-9a-f]{64}$/.test(out) ? out : undefined;
}
