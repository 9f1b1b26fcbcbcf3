import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BlatError } from '../errors.js';
import { buildConfigFromMachineTxt } from '../state/importMachineTxt.js';
import type { CommandIO, GlobalOptions } from './io.js';

/** `blat import machine.txt`: print a blat.yaml built from blat.py's machine table. */
export async function importCommand(file: string, flags: GlobalOptions & { root?: string }, io: CommandIO): Promise<number> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new BlatError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const root = flags.root ?? io.env.HOME ?? '/home/ajh';
  io.stdout(buildConfigFromMachineTxt(text, file, { root }));
  return 0;
}
