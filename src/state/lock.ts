// The apply lock: one file in the state directory naming the blat that holds it.
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { LockError } from '../errors.js';
import { syncDirectory, tempPathFor } from './atomicWrite.js';
import { describeError, errorCode, isRecord, readTextIfExists } from './fsErrors.js';
import { lockPath } from './paths.js';

/** Who asks for the lock. `nowMs` and `hostname` are passed in so callers (and tests) decide them. */
export interface LockRequest {
  readonly command: string;
  readonly nowMs: number;
  readonly hostname: string;
  readonly pid: number;
}

/** What the lock file holds. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO 8601. */
  readonly time: string;
  readonly command: string;
}

/** A held lock. */
export interface Lock {
  /** Absolute path of the lock file. */
  readonly file: string;
  /** Set when a stale lock (of a process on this host that is gone, or is no blat) was removed to take this one. */
  readonly warning?: string;
  /**
   * Removes the lock file if it still names this process; safe to call twice. A process that
   * exits holding it (process.exit on a second Ctrl-C) removes it on its way out.
   */
  release(): Promise<void>;
}

/**
 * Takes `STATEDIR/lock` or throws LockError naming the holder. A lock left by a
 * process of this same host that is dead, or whose pid now runs something that
 * is not a blat, is removed (once) and reported in `warning`.
 */
export async function acquireLock(stateDir: string, info: LockRequest): Promise<Lock> {
  const file = lockPath(stateDir);
  const holder: LockHolder = { pid: info.pid, host: info.hostname, time: new Date(info.nowMs).toISOString(), command: info.command };
  const content = `${JSON.stringify(holder)}\n`;
  try {
    await mkdir(stateDir, { recursive: true });
  } catch (error) {
    throw new LockError(`${stateDir}: cannot create the state directory (${describeError(error)})`);
  }

  let warning: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createLockFile(file, content)) return makeLock(file, holder, warning);
    const raw = await readLockText(file);
    if (raw === undefined) continue; // released between our create and our read: try again
    const other = parseLockHolder(file, raw);
    const stale = attempt === 0 && other.host === info.hostname ? await findStaleReason(other.pid) : undefined;
    if (stale !== undefined) {
      // Remove only what we judged stale: a fresh lock written meanwhile is left alone.
      if ((await readLockText(file)) === raw) {
        await rm(file, { force: true });
        warning = `removed stale lock of pid ${other.pid} (${other.command}) from ${other.time}${stale}`;
      }
      continue;
    }
    throw new LockError(buildHeldMessage(file, other));
  }
  const now = await readLockText(file);
  if (now !== undefined) throw new LockError(buildHeldMessage(file, parseLockHolder(file, now)));
  throw new LockError(`${file}: could not take the lock, it keeps changing; try again`);
}

/** The one-line message for a lock held by `holder`. */
export function buildHeldMessage(file: string, holder: LockHolder): string {
  return `another blat holds ${file}: pid ${holder.pid} on ${holder.host} since ${holder.time} (${holder.command}); wait for it, or remove the file if that process is gone`;
}

/** Parses a lock file's text; a LockError naming the file when it is not a blat lock. */
export function parseLockHolder(file: string, text: string): LockHolder {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (
    isRecord(value) &&
    typeof value.pid === 'number' &&
    Number.isInteger(value.pid) &&
    value.pid > 0 &&
    typeof value.host === 'string' &&
    typeof value.time === 'string' &&
    typeof value.command === 'string'
  ) {
    return { pid: value.pid, host: value.host, time: value.time, command: value.command };
  }
  const shown = text.length === 0 ? 'empty' : 'not a blat lock';
  throw new LockError(`${file}: unreadable lock file (${shown}); remove it if no blat is running`);
}

/**
 * Why a lock naming `pid` (on this host) is stale: '' when no such process is alive, a few
 * words when the pid now runs something that is not a blat (its command line, where /proc has
 * it, names no blat program); undefined when it may be a blat at work (this process is one).
 */
export async function findStaleReason(pid: number): Promise<string | undefined> {
  if (!isProcessAlive(pid)) return '';
  if (pid === process.pid) return undefined;
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined; // no /proc (macOS), or not ours to read: assume it is a blat
  }
  const args = cmdline.split('\0').filter((a) => a !== '');
  if (args.length === 0) return ': that pid is a process that has ended'; // a zombie
  return isBlatCommandLine(args) ? undefined : `: pid ${pid} now runs ${basename(args[0]).slice(0, 40)}, not a blat`;
}

/**
 * True when a command line looks like a blat's: a program named blat (the npm bin, a launcher
 * script, its bundle `blat-bundle.cjs`), or a program run from a blat checkout's dist/ (`node
 * dist/cli.js`), possibly through node.
 */
export function isBlatCommandLine(args: readonly string[]): boolean {
  return args.slice(0, 4).some((a) => /blat/i.test(basename(a)) || /(^|\/)blat[^/]*\/dist\//i.test(a));
}

/** True unless signalling `pid` says there is no such process (ESRCH). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

async function readLockText(file: string): Promise<string | undefined> {
  try {
    return await readTextIfExists(file);
  } catch (error) {
    throw new LockError(`${file}: unreadable lock file (${describeError(error)}); remove it if no blat is running`);
  }
}

/**
 * Creates `file` holding `content`, only if it does not exist; false when it does.
 * The content is written and synced to a temp file first and hard-linked into place,
 * so a kill never leaves an empty or partial lock; where hard links are not
 * supported it falls back to an exclusive create (`wx`).
 */
async function createLockFile(file: string, content: string): Promise<boolean> {
  const temp = tempPathFor(file);
  try {
    await writeSynced(temp, content);
    try {
      await link(temp, file);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EMLINK') throw error;
      try {
        await writeSynced(file, content);
      } catch (fallbackError) {
        if (errorCode(fallbackError) === 'EEXIST') return false;
        throw fallbackError;
      }
    }
    await syncDirectory(dirname(file));
    return true;
  } catch (error) {
    throw new LockError(`${file}: cannot create the lock (${describeError(error)})`);
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

async function writeSynced(file: string, content: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'wx');
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle?.close();
  }
}

function makeLock(file: string, holder: LockHolder, warning: string | undefined): Lock {
  let released = false;
  const onExit = () => {
    try {
      const current = parseLockHolder(file, readFileSync(file, 'utf8'));
      if (current.pid === holder.pid && current.host === holder.host) unlinkSync(file);
    } catch {
      // gone already, or not ours
    }
  };
  process.once('exit', onExit);
  return {
    file,
    ...(warning === undefined ? {} : { warning }),
    async release(): Promise<void> {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      let text: string | undefined;
      try {
        text = await readTextIfExists(file);
      } catch {
        return;
      }
      if (text === undefined) return;
      let current: LockHolder;
      try {
        current = parseLockHolder(file, text);
      } catch {
        return; // not ours to remove
      }
      if (current.pid === holder.pid && current.host === holder.host) {
        await rm(file, { force: true });
        await syncDirectory(dirname(file));
      }
    },
  };
}
