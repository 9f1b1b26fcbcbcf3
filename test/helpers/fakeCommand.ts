// A stand-in for a program (ssh, say) first on PATH while a test runs.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `fn` with an executable `name` (a POSIX shell `script`) first on PATH, then puts PATH back. */
export async function withFakeCommand<T>(name: string, script: string, fn: () => Promise<T>): Promise<T> {
  const bin = mkdtempSync(join(tmpdir(), `blat-fake-${name}-`));
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, name), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = path;
    rmSync(bin, { recursive: true, force: true });
  }
}
