// The locks an apply holds on the machines it writes (ROOT/.blat/sets/NAME/lock): taken all at
// once before anything is written, renewed while the apply runs (a lease of stallTimeout
// seconds), released at its end. A blat on any machine refuses to write a machine locked by another.
import { buildSetDir } from '../config/setName.js';
import { escapeControls } from '../escape.js';
import { BlatError } from '../errors.js';
import { findStaleReason } from '../state/lock.js';
import {
  buildOwnerLine,
  buildReleaseLockScript,
  buildRenewLockScript,
  buildTakeLockScript,
  parseTakeOutput,
  type LockOwner,
  type LockSpec,
  type TakeAnswer,
} from '../transport/lockScript.js';
import { runScript } from '../transport/runScript.js';
import { buildWriteSeenLine } from '../transport/seenScript.js';
import type { SeenLines } from '../observe/seenRecord.js';
import { buildScriptTarget } from '../transport/targets.js';
import type { SetFile } from '../transport/setFilesScript.js';
import type { Config, MachineConfig } from '../types.js';

/** The blat taking the locks: this host and process, the run, and now (for the owner line). */
export interface MachineLockHolder {
  readonly host: string;
  readonly pid: number;
  readonly run: string;
  readonly nowMs: number;
}

/** The locks held on the machines; taken by takeMachineLocks. */
export interface MachineLocks {
  /** The machines locked (config order). */
  readonly machines: readonly string[];
  /** What the user should hear: stale locks taken over, machines left unlocked (one line each, without "warning: "). */
  readonly warnings: readonly string[];
  /**
   * Stops the renewals and removes every lock still ours (safe to call twice). First, while each
   * machine is still locked: its base files from `bases` (machine → files, head last), then its
   * seen line from `seen` (only where its base files, if any, were written).
   */
  release(seen?: SeenLines, bases?: ReadonlyMap<string, readonly SetFile[]>): Promise<Released>;
}

/** What the release found. */
export interface Released {
  /** A line for each machine whose lock was found taken over by another blat meanwhile. */
  readonly warnings: readonly string[];
  /** The machines whose base files (given to release) are in place. */
  readonly based: ReadonlySet<string>;
}

/**
 * Takes the lock of each of `machineNames` (self included when named), in parallel: either all
 * those that answer are taken (a machine that cannot be reached, or whose root is missing, is
 * left unlocked: its steps will fail and stay owed) and renewed every stallTimeout/3 seconds
 * until `release`, or a BlatError (exit 1) names every machine another blat holds, after the
 * locks taken here are released again. A lock not renewed for stallTimeout seconds (judged on its
 * machine), or left by a blat of this host that has ended, is taken over, with a warning.
 * Ctrl-C and SIGTERM do not stop the lock scripts (see `run`): an apply interrupted meanwhile
 * stops once they have answered, and releases what they took.
 */
export async function takeMachineLocks(
  config: Config,
  self: string,
  sshOptions: readonly string[],
  machineNames: Iterable<string>,
  holder: MachineLockHolder,
  /** Machines a step writes: once locked, their seen lines go and their transfer temp folder is made (see buildTakeLockScript). */
  written: ReadonlySet<string> = new Set(),
): Promise<MachineLocks> {
  const wanted = new Set(machineNames);
  const machines = config.machines.filter((m) => wanted.has(m.name) && m.state !== 'outofuse');
  const owner = buildOwnerLine(holder);
  const specOf = (m: MachineConfig): LockSpec => ({ root: m.root, setDir: buildSetDir(config.setName), owner });
  // No lock script is stopped by Ctrl-C or SIGTERM: a take cut short may have made the lock and
  // lost the answer (or, on self, made the folder and not yet its owner file), which no release
  // could then find ours. Each is short, and bounded by stallTimeout like any script.
  const run = async (m: MachineConfig, script: string) => {
    let out = '';
    const result = await runScript(buildScriptTarget(m, self, sshOptions, { stallTimeout: config.stallTimeout }), script, (c) => (out += c.toString('utf8')));
    return { out, result };
  };

  const warnings: string[] = [];
  const held: string[] = [];
  const taken: MachineConfig[] = [];
  /** Machines whose temp folder the take made: removed again (when empty) if the apply is refused. */
  const madeTemp = new Set<string>();
  const takeOne = async (m: MachineConfig, breakOwner?: string): Promise<TakeAnswer | undefined> => {
    const { out, result } = await run(m, buildTakeLockScript(specOf(m), config.stallTimeout, breakOwner, written.has(m.name)));
    if (result.unreachable !== undefined || result.exitCode === 3) return undefined;
    if (result.exitCode !== 0) return { kind: 'fail', reason: result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}` };
    return parseTakeOutput(out);
  };
  await Promise.all(
    machines.map(async (m) => {
      let answer = await takeOne(m);
      let gone: string | undefined;
      if (answer?.kind === 'held' && answer.owner.host === holder.host && answer.owner.pid !== undefined) {
        // A lock of this host: its holder may be known to be gone (killed, or the pid reused).
        const reason = await findStaleReason(answer.owner.pid);
        if (reason !== undefined) {
          gone = reason === '' ? 'that process has ended' : reason.replace(/^: /, '');
          answer = await takeOne(m, answer.owner.line);
        }
      }
      if (answer === undefined) return;
      if (answer.kind === 'held') held.push(buildHeldLine(m.name, answer.owner, answer.ageSeconds, m, config.setName, holder.nowMs));
      else if (answer.kind === 'fail') warnings.push(`${m.name}: not locked (${escapeControls(answer.reason)})`);
      else {
        taken.push(m);
        if (answer.madeTemp) madeTemp.add(m.name);
        for (const t of answer.tookOver) {
          const why = gone ?? `not renewed for ${t.ageSeconds ?? '?'} s (stallTimeout ${config.stallTimeout} s)`;
          warnings.push(`${m.name}: took over the lock of ${describeOwner(t.owner, holder.nowMs)}: ${why}`);
        }
      }
    }),
  );

  let released: Promise<Released> | undefined;
  const lost = new Set<string>();
  const renewing = new Map<string, Promise<void>>();
  const renew = () => {
    for (const m of taken) {
      if (lost.has(m.name) || renewing.has(m.name)) continue;
      const p = run(m, buildRenewLockScript(specOf(m)))
        .then(({ out, result }) => {
          if (result.unreachable === undefined && result.exitCode === 0 && out.trim() === 'lost') lost.add(m.name);
        })
        .catch(() => undefined)
        .finally(() => renewing.delete(m.name));
      renewing.set(m.name, p);
    }
  };
  const timer = taken.length > 0 && held.length === 0 ? setInterval(renew, (config.stallTimeout * 1000) / 3) : undefined;
  timer?.unref();
  const locks: MachineLocks = {
    machines: machines.filter((m) => taken.includes(m)).map((m) => m.name),
    warnings,
    release(seen?: SeenLines, bases?: ReadonlyMap<string, readonly SetFile[]>) {
      released ??= (async () => {
        clearInterval(timer);
        await Promise.all(renewing.values());
        const writes = (m: MachineConfig) => {
          const line = seen?.lines.get(m.name);
          // Refused: nothing was written, and a temp folder the take made goes again.
          return { files: bases?.get(m.name), seen: line === undefined ? undefined : buildWriteSeenLine(seen!.file, line), removeTemp: held.length > 0 && madeTemp.has(m.name) };
        };
        const answers = await Promise.all(taken.map((m) => run(m, buildReleaseLockScript(specOf(m), writes(m))).catch(() => undefined)));
        const wrote = (a: (typeof answers)[number]) => a !== undefined && a.result.unreachable === undefined && a.result.exitCode === 0 && a.out.split('\n').includes('based');
        const based = new Set(taken.filter((_, i) => wrote(answers[i])).map((m) => m.name));
        const warnings = machines
          .filter((m) => lost.has(m.name))
          .map((m) => `${m.name}: this apply's lock there was taken over by another blat (it was not renewed within stallTimeout, ${config.stallTimeout} s)`);
        return { warnings, based };
      })();
      return released;
    },
  };
  if (held.length > 0) {
    await locks.release();
    throw new BlatError(held.join('\n'), { lines: held });
  }
  return locks;
}

/** The refusal for machine `name`, locked by `owner` (its lock not renewed for `ageSeconds`). */
function buildHeldLine(name: string, owner: LockOwner, ageSeconds: number | undefined, m: MachineConfig, setName: string, nowMs: number): string {
  if (owner.host !== undefined && owner.pid !== undefined) return `${name} is being written by ${describeOwner(owner, nowMs)}; try again when it is done`;
  const where = `${m.root.replace(/\/$/, '')}/${buildSetDir(setName)}/lock`;
  const named = owner.line === '' ? 'names no holder yet' : `names ${JSON.stringify(owner.line)}`;
  const age = ageSeconds === undefined ? '' : `, touched ${ageSeconds} s ago`;
  return escapeControls(`${name} is locked by another blat (${where} ${named}${age}); try again when it is done, or remove that folder if no blat is running`);
}

/** "blat on HOST (pid N, since HH:MM:SS UTC)", as far as the owner line says. */
function describeOwner(owner: LockOwner, nowMs: number): string {
  const since = describeSince(owner.time, nowMs);
  const details = [owner.pid !== undefined ? `pid ${owner.pid}` : undefined, since ? `since ${since}` : undefined].filter((s) => s !== undefined);
  return escapeControls(`blat on ${owner.host ?? 'an unnamed host'}${details.length ? ` (${details.join(', ')})` : ''}`);
}

/** An ISO time as `HH:MM:SS UTC`, with its date when that is not today's (UTC); undefined when it is no time. */
export function describeSince(time: string | undefined, nowMs: number): string | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  if (!Number.isFinite(ms) || !/^\d{4}-\d\d-\d\dT/.test(time)) return undefined;
  const iso = new Date(ms).toISOString();
  const today = new Date(nowMs).toISOString().slice(0, 10);
  return `${iso.slice(0, 10) === today ? '' : `${iso.slice(0, 10)} `}${iso.slice(11, 19)} UTC`;
}
