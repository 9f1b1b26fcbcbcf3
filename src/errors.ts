// Error classes carrying a one-line summary, an optional detail and an exit code.
// The CLI's single catch prints `summary` (and `detail` with --verbose) and exits.

/** An expected failure: bad input, an unreachable requirement, a refused plan. */
export class BlatError extends Error {
  readonly summary: string;
  readonly detail?: string;
  readonly exitCode: number;

  constructor(summary: string, options: { detail?: string; exitCode?: number; cause?: unknown } = {}) {
    super(summary, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BlatError';
    this.summary = summary;
    this.detail = options.detail;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Invalid configuration: every problem found, one `FILE:LINE:COL: yaml.path: message` line each. */
export class ConfigError extends BlatError {
  readonly lines: readonly string[];

  constructor(lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
    this.lines = lines;
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
