// What a command needs from the outside world, passed in so commands stay testable.

export interface CommandIO {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly hostname: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  /** Reads one line from the terminal (for confirmations). */
  readonly ask: (question: string) => Promise<string>;
  readonly now: () => number;
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
