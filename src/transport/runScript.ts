import { execa } from 'execa';
import { encodeFsText } from '../fsText.js';
import { classifySshFailure } from './sshFailure.js';

/** What bounds a process that talks to a machine: how long it may be silent, and what stops it. */
export interface RunLimits {
  /** Seconds the machine may send nothing (stdout or stderr) once given its work; then it is given up as stalled. */
  readonly stallTimeout?: number;
  /** Aborted (Ctrl-C, SIGTERM): the process is stopped. */
  readonly signal?: AbortSignal;
}

/** Where a script runs: this host, or an ssh destination with its options; and its limits. */
export type ScriptTarget = (
  | { readonly kind: 'local' }
  | { readonly kind: 'ssh'; readonly host: string; readonly sshOptions: readonly string[] }
) & RunLimits;

/** The reason given for a machine that sent nothing for `seconds`. */
export function describeStall(seconds: number): string {
  return `stalled (no answer for ${seconds} s)`;
}

export interface ScriptResult {
  readonly exitCode: number;
  readonly stderr: string;
  /** Set when the machine could not be reached (ssh itself failed), stalled or was stopped: the short reason. */
  readonly unreachable?: string;
}

const decoder = new TextDecoder();

/**
 * A shell started on a target before its script is known: `/bin/sh -s` (over ssh: the channel
 * opened, the login shell started) waiting on standard input. It does nothing until `run`.
 */
export interface ScriptSession {
  /** Writes the script and hands stdout to `onChunk` as it arrives. Once. */
  run(script: string, onChunk: (chunk: Buffer) => void): Promise<ScriptResult>;
  /** Stops a session never given a script; after `run`, waits for it. */
  close(): Promise<void>;
}

/**
 * Starts `/bin/sh -s` on the target now, for a script given later (see ScriptSession). Once it
 * has its script, a target silent for `stallTimeout` seconds is killed and reported unreachable
 * as stalled; an aborted `signal` kills it too ("interrupted").
 */
export function openScriptSession(target: ScriptTarget): ScriptSession {
  const [file, args] =
    target.kind === 'local'
      ? ['/bin/sh', ['-s']]
      : ['ssh', [...target.sshOptions, '--', target.host, '/bin/sh -s']];
  const child = execa(file, args, {
    stdin: 'pipe',
    encoding: 'buffer',
    buffer: { stdout: false, stderr: true },
    reject: false,
    stripFinalNewline: false,
    // If blat is stopped, its scans stop with it (the ssh master, forked by ControlPersist, stays).
    cleanup: true,
  });
  child.stdin?.on('error', () => undefined); // a machine gone before the script: reported by the exit
  let onChunk: ((chunk: Buffer) => void) | undefined;
  let stopped: string | undefined;
  /** Kills the shell, and lets go of its output: a process it started (a stopped find) may hold it open. */
  const stop = (why: string) => {
    if (stopped !== undefined) return;
    stopped = why;
    child.kill('SIGKILL');
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const onAbort = () => stop('interrupted');
  let timer: NodeJS.Timeout | undefined;
  const watch = () => {
    if (target.stallTimeout === undefined || stopped !== undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => stop(describeStall(target.stallTimeout as number)), target.stallTimeout * 1000);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    watch();
    onChunk?.(chunk);
  });
  child.stderr?.on('data', watch);
  target.signal?.addEventListener('abort', onAbort, { once: true });
  if (target.signal?.aborted) onAbort();
  const ended = () => {
    clearTimeout(timer);
    target.signal?.removeEventListener('abort', onAbort);
  };
  return {
    async run(script, handler) {
      onChunk = handler;
      watch();
      child.stdin?.end(encodeFsText(script)); // names outside UTF-8 go back as the bytes they were
      const result = await child;
      ended();
      const stderr = decoder.decode(result.stderr as Uint8Array | undefined);
      const exitCode = result.exitCode ?? -1;
      if (stopped !== undefined) return { exitCode, stderr, unreachable: stopped };
      if (result.failed && result.exitCode === undefined) {
        return { exitCode, stderr, unreachable: result.shortMessage };
      }
      if (target.kind === 'ssh' && exitCode === 255) {
        return { exitCode, stderr, unreachable: classifySshFailure(stderr) };
      }
      return { exitCode, stderr };
    },
    async close() {
      // Never given a script, it has run nothing: stopped at once (a machine gone meanwhile is not waited for).
      if (onChunk === undefined) child.kill('SIGTERM');
      await child;
      ended();
    },
  };
}

/**
 * Runs a POSIX shell script on the target, fed to `/bin/sh -s` on standard input (the
 * remote login shell only ever sees the words `/bin/sh -s`), handing stdout to `onChunk`
 * as it arrives.
 */
export function runScript(target: ScriptTarget, script: string, onChunk: (chunk: Buffer) => void): Promise<ScriptResult> {
  return openScriptSession(target).run(script, onChunk);
}
