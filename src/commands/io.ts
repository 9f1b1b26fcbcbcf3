// What a command needs from the outside world, passed in so commands stay testable.
import { renderJsonChunks } from '../render/jsonChunks.js';

export interface CommandIO {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly hostname: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  /** The terminal's width in columns, when stdout is one. */
  readonly stdoutColumns?: number;
  /** True when stderr is a terminal (the live progress goes there). */
  readonly stderrIsTTY?: boolean;
  /** Reads one line from the terminal (for confirmations). */
  readonly ask: (question: string) => Promise<string>;
  readonly now: () => number;
  /** Ctrl-C and SIGTERM, for a run that ends itself cleanly when they come (absent: they end the process). */
  readonly interrupts?: Interrupts;
}

/** How a run sees Ctrl-C (SIGINT) and SIGTERM. */
export interface Interrupts {
  /** Aborted at the first SIGINT or SIGTERM; its `reason` is the signal's name. */
  readonly signal: AbortSignal;
  /**
   * While held (until the returned function is called), the first signal only aborts `signal`:
   * the holder stops its work, records it and ends. Otherwise, and at a second signal, the
   * process ends at once (exit 130 or 143; the lock file goes with it).
   */
  hold(): () => void;
}

/** The exit code for a run ended by `signal` (128 + its number): 130 for SIGINT, 143 for SIGTERM. */
export function interruptExitCode(signal: unknown): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** Options every command accepts. */
export interface GlobalOptions {
  readonly config?: string;
  readonly self?: string;
  readonly verbose?: boolean;
}

/** True when output may carry ANSI colour: a terminal, and NO_COLOR unset. */
export function wantsColor(io: CommandIO): boolean {
  return io.stdoutIsTTY && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === '') && io.env.TERM !== 'dumb';
}

/** The width views fit in: `COLUMNS` when set to a number, else the terminal's columns when stdout is one, else 80. */
export function terminalWidth(io: CommandIO): number {
  const fromEnv = Number.parseInt(io.env.COLUMNS ?? '', 10);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (io.stdoutIsTTY && io.stdoutColumns !== undefined && io.stdoutColumns > 0) return io.stdoutColumns;
  return 80;
}

/** Writes JSON.stringify(value, null, indent) and a newline to stdout, about a megabyte at a time (renderJsonChunks: a plan of millions of steps is more than one string holds). */
export function writeJson(io: Pick<CommandIO, 'stdout'>, value: unknown, indent = 0): void {
  for (const chunk of renderJsonChunks(value, indent)) io.stdout(chunk);
  io.stdout('\n');
}
