import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { escapeControls } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { buildConfigFromMachineTxt } from '../state/importMachineTxt.js';
import type { CommandIO, GlobalOptions } from './io.js';

/** `blat import machine.txt`: print a blat.yaml built from blat.py's machine table. */
export async function importCommand(file: string, flags: GlobalOptions & { root?: string }, io: CommandIO): Promise<number> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new BlatError(`${escapeControls(file)}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const root = flags.root ?? io.env.HOME;
  if (!root) throw new UsageError('import: pass --root DIR (the root to give every machine; there is no $HOME to default to)');
  io.stdout(buildConfigFromMachineTxt(text, file, { root, cwd: io.cwd }));
  return 0;
}
