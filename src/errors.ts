// Error classes carrying a summary, an optional detail and an exit code.
// The CLI's single catch prints each of `lines` (control characters escaped, so a
// hostile name inside a line can never start another) and `detail` with --verbose.

/** An expected failure: bad input, an unreachable requirement, a refused plan. */
export class BlatError extends Error {
  readonly summary: string;
  /** The lines printed for it: `[summary]` unless given. */
  readonly lines: readonly string[];
  readonly detail?: string;
  readonly exitCode: number;

  constructor(summary: string, options: { detail?: string; exitCode?: number; cause?: unknown; lines?: readonly string[] } = {}) {
    super(summary, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BlatError';
    this.summary = summary;
    this.lines = options.lines ?? [summary];
    this.detail = options.detail;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Invalid configuration: every problem found, one `FILE:LINE:COL: yaml.path: message` line each. */
export class ConfigError extends BlatError {
  constructor(lines: readonly string[]) {
    super(lines.join('\n'), { lines });
    this.name = 'ConfigError';
  }
}

/** Bad command-line usage (unknown machine, path outside the roots…). */
export class UsageError extends BlatError {
  constructor(summary: string, detail?: string) {
    super(summary, { detail });
    this.name = 'UsageError';
  }
}

/** Another apply holds the lock. */
export class LockError extends BlatError {
  constructor(summary: string) {
    super(summary);
    this.name = 'LockError';
  }
}
