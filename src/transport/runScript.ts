import { execa } from 'execa';
import { encodeFsText } from '../fsText.js';
import { classifySshFailure } from './sshFailure.js';

/** Where a script runs: this host, or an ssh destination with its options. */
export type ScriptTarget =
  | { readonly kind: 'local' }
  | { readonly kind: 'ssh'; readonly host: string; readonly sshOptions: readonly string[] };

export interface ScriptResult {
  readonly exitCode: number;
  readonly stderr: string;
  /** Set when the machine could not be reached (ssh itself failed): the short reason. */
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

/** Starts `/bin/sh -s` on the target now, for a script given later (see ScriptSession). */
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
  child.stdout?.on('data', (chunk: Buffer) => onChunk?.(chunk));
  return {
    async run(script, handler) {
      onChunk = handler;
      child.stdin?.end(encodeFsText(script)); // names outside UTF-8 go back as the bytes they were
      const result = await child;
      const stderr = decoder.decode(result.stderr as Uint8Array | undefined);
      const exitCode = result.exitCode ?? -1;
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
