// The state directory's lock, held by every command that changes state (apply, resume, restore, trash).
import { sanitizeForTerminal } from '../escape.js';
import { acquireLock, type Lock } from '../state/lock.js';
import type { RunContext } from '../commands/context.js';
import type { CommandIO } from '../commands/io.js';

/** Runs `work` holding the state directory's lock. */
export async function withLock(ctx: RunContext, io: CommandIO, command: string, work: () => Promise<number>): Promise<number> {
  const lock: Lock = await acquireLock(ctx.config.stateDir, { command: `blat ${command}`, nowMs: io.now(), hostname: io.hostname, pid: process.pid });
  if (lock.warning) io.stderr(`warning: ${sanitizeForTerminal(lock.warning)}\n`);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
