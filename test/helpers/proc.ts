// Running a program without a shell and collecting what it printed.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** How a finished program ended and what it printed. */
export interface ProcessResult {
  /** Exit code; 128 + signal number when it was killed by a signal. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where and with what a program runs. */
export interface ProcessOptions {
  readonly cwd?: string;
  /** The complete environment (not merged with process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (stdin is always closed, never inherited). */
  readonly input?: string;
  /** Killed with SIGKILL after this long and reported as an error (default 60 s). */
  readonly timeoutMs?: number;
}

/** Runs `file args…` (no shell) to completion and returns its exit code, stdout and stderr. */
export function runProcess(file: string, args: readonly string[], opts: ProcessOptions = {}): Promise<ProcessResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {
      // The program may exit without reading its input (EPIPE); its exit code tells.
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${file}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(new Error(`${file} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        return;
      }
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like runProcess, but throws (with stderr) unless the program exits 0; returns stdout. */
export async function runChecked(file: string, args: readonly string[], opts: ProcessOptions = {}): Promise<string> {
  const r = await runProcess(file, args, opts);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
