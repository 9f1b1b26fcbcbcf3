import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { escapeControls } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { buildConfigFromMachineTxt, type ImportRoots } from '../state/importMachineTxt.js';
import type { CommandIO, GlobalOptions } from './io.js';

export interface ImportFlags extends GlobalOptions {
  readonly root?: string;
  readonly rootLinux?: string;
  readonly rootDarwin?: string;
}

/**
 * `blat import machine.txt`: print a blat.yaml built from blat.py's machine table; what could not
 * be carried goes to stderr as `FILE:LINE: …` notes.
 */
export async function importCommand(file: string, flags: ImportFlags, io: CommandIO): Promise<number> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new BlatError(`${escapeControls(file)}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const perOs = flags.rootLinux !== undefined || flags.rootDarwin !== undefined;
  // $HOME is the common root only when no root was named at all: it is this machine's, not another OS's.
  const root = flags.root ?? (perOs ? undefined : io.env.HOME);
  if (root === undefined && !perOs) throw new UsageError('import: pass --root DIR, or --root-linux DIR and --root-darwin DIR (there is no $HOME to default to)');
  const roots: ImportRoots = { root, linux: flags.rootLinux, darwin: flags.rootDarwin };
  const here = process.platform === 'darwin' ? roots.darwin : roots.linux;
  const result = buildConfigFromMachineTxt(text, file, { roots, placeholderRoot: here ?? root, cwd: io.cwd });
  for (const note of result.notes) io.stderr(`note: ${note}\n`);
  io.stdout(result.yaml);
  return 0;
}
