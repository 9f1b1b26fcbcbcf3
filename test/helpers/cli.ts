// Running the built CLI (dist/bin/blat.js, the npm bin) the way a user would, without a shell.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessResult } from './proc.js';
import { readBuildResult } from './provided.js';

/** The repository root (two levels above this file). */
export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI entry point compiled by test/globalSetup.ts. */
export const CLI_PATH = join(REPO_DIR, 'dist', 'bin', 'blat.js');

/** How runBlat / runNodeScript run the program. */
export interface RunOptions {
  readonly cwd: string;
  /** Added to the environment; BLAT_SELF is only set when given here. */
  readonly env?: Record<string, string>;
  /** Written to stdin (stdin is always closed, never inherited). */
  readonly input?: string;
  /** Default 60 s. */
  readonly timeoutMs?: number;
}

/**
 * The environment the CLI runs with: ours (CI included) minus BLAT_SELF, colour forcing and
 * NODE_EXTRA_CA_CERTS, plus NO_COLOR=1 and `extra`.
 */
export function buildCliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BLAT_SELF;
  delete env.FORCE_COLOR;
  // Node parses every certificate of that file before it runs a line (this machine's CI image sets
  // it to the system bundle: `node -e 0` takes 87 ms of CPU with it, 31 ms without); blat opens no
  // TLS connection, and the suite runs it about 600 times.
  delete env.NODE_EXTRA_CA_CERTS;
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

/** Runs `node script args…` with the CLI environment; the exit code, stdout and stderr come back. */
export function runNodeScript(script: string, args: readonly string[], opts: RunOptions): Promise<ProcessResult> {
  return runProcess(process.execPath, [script, ...args], {
    cwd: opts.cwd,
    env: buildCliEnv(opts.env),
    input: opts.input,
    timeoutMs: opts.timeoutMs,
  });
}

/** Runs `node dist/bin/blat.js args…` in opts.cwd; fails with the bundler's output when globalSetup could not build. */
export async function runBlat(args: readonly string[], opts: RunOptions): Promise<ProcessResult> {
  const build = readBuildResult();
  if (!build.ok) throw new Error(`dist/bin could not be built (scripts/bundle.mjs):\n${build.output}`);
  return runNodeScript(CLI_PATH, args, opts);
}
