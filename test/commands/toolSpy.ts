// Counting the programs blat starts: a directory put first on PATH holding `ssh` and `rsync`
// wrappers that log one line per invocation (their arguments) and then run the real program.
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { quoteShell } from '../../src/transport/shellQuote.js';

/** The wrapped programs. */
export type SpiedTool = 'ssh' | 'rsync';

/** A PATH directory of logging wrappers and the environment that puts it first. */
export interface ToolSpy {
  readonly dir: string;
  /** Environment for runBlat: PATH with the wrappers first. */
  readonly env: Record<string, string>;
  /** One entry per invocation of `tool` since the last reset: its arguments joined by spaces. */
  calls(tool: SpiedTool): Promise<string[]>;
  /** The rsync invocations since the last reset (each transfers files: the machines' bases travel in the locks' release). */
  transfers(): Promise<string[]>;
  /** The ssh destinations of the invocations since the last reset (the word after `--`), sorted. */
  sshHosts(): Promise<string[]>;
  /** Forgets the invocations logged so far. */
  reset(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Absolute path of `name` on the current PATH (skipping `skip`). */
function findOnPath(name: string, skip?: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir === skip) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not on PATH`);
}

/** Makes the wrapper directory; every wrapper appends its arguments (NUL-free, one line) to its log. */
export async function makeToolSpy(): Promise<ToolSpy> {
  const dir = await mkdtemp(join(tmpdir(), 'blat-spy-'));
  const log = (tool: SpiedTool): string => join(dir, `${tool}.log`);
  for (const tool of ['ssh', 'rsync'] as const) {
    const real = findOnPath(tool, dir);
    // printf %s of "$*" keeps the arguments on one line (blat never passes a newline to ssh/rsync as an argument;
    // file names go on stdin). `>>` opens with O_APPEND, so concurrent invocations do not interleave lines.
    const script = `#!/bin/sh\nprintf '%s\\n' "$*" >> ${quoteShell(log(tool))}\nexec ${quoteShell(real)} "$@"\n`;
    await writeFile(join(dir, tool), script);
    await chmod(join(dir, tool), 0o755);
  }
  const readLog = async (tool: SpiedTool): Promise<string[]> => {
    const text = await readFile(log(tool), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  };
  return {
    dir,
    env: { PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
    calls: readLog,
    transfers: () => readLog('rsync'),
    async sshHosts() {
      const hosts = (await readLog('ssh')).map((line) => {
        const words = line.split(' ');
        const i = words.indexOf('--');
        return i === -1 ? `(no -- in: ${line})` : words[i + 1];
      });
      return hosts.sort();
    },
    async reset() {
      await rm(log('ssh'), { force: true });
      await rm(log('rsync'), { force: true });
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
