import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { escapeControls, sanitizeForTerminal } from '../escape.js';
import { BlatError } from '../errors.js';
import { quoteShell } from '../transport/shellQuote.js';
import { applyCommand } from './apply.js';
import type { CommandIO, GlobalOptions } from './io.js';
import { planCommand } from './plan.js';

const DAY = 86_400;

/** Files of the demo: machine → path → [content, age in days]. */
const TREES: Record<string, Record<string, [string, number]>> = {
  laptop: {
    'docs/notes.txt': ['notes, first draft\n', 3],
    'docs/todo.md': ['- write the demo\n', 1],
    'docs/meeting notes.txt': ['agenda: blat\n', 5],
  },
  desktop: {
    'docs/notes.txt': ['notes, second draft (edited on the desktop)\n', 1],
    'docs/meeting notes.txt': ['agenda: blat\n', 5],
    'etc/machine.txt': ['laptop,,Linux,online\ndesktop,,Linux,online\n', 2],
  },
  server: {
    'docs/notes.txt': ['notes, first draft\n', 3],
    'docs/meeting notes.txt': ['agenda: blat, and the old script\n', 9],
    'etc/machine.txt': ['laptop,,Linux,online\n', 30],
  },
};

/** `blat demo`: builds a sandbox of local machines with diverging files, then runs plan, apply, plan. */
export async function demoCommand(flags: GlobalOptions & { dir?: string }, io: CommandIO): Promise<number> {
  const dir = flags.dir ? await readyEmptyDir(resolve(io.cwd, flags.dir), flags.dir) : await mkdtemp(join(tmpdir(), 'blat-demo-'));
  const now = Math.floor(io.now() / 1000);
  for (const [machine, files] of Object.entries(TREES)) {
    for (const [path, [content, ageDays]] of Object.entries(files)) {
      const file = join(dir, machine, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      const t = now - ageDays * DAY;
      await utimes(file, t, t);
    }
  }
  const config = join(dir, 'blat.yaml');
  await writeFile(
    config,
    [
      '# A blat demo: four machines that are folders on this host.',
      'version: 1',
      'self: laptop',
      'paths: [docs, etc/machine.txt]',
      'machines:',
      `  laptop:  { transport: local, root: ${JSON.stringify(join(dir, 'laptop'))} }`,
      `  desktop: { transport: local, root: ${JSON.stringify(join(dir, 'desktop'))} }`,
      `  server:  { transport: local, root: ${JSON.stringify(join(dir, 'server'))} }`,
      '  # Its root does not exist (an unplugged disk): it gets deferred steps, owed until it is back.',
      `  usbdisk: { transport: local, root: ${JSON.stringify(join(dir, 'usbdisk'))} }`,
      '',
    ].join('\n'),
  );
  const sub: CommandIO = { ...io, cwd: join(dir, 'laptop') };
  const common = { config, self: 'laptop' };
  const say = (text: string) => io.stdout(`\n=== ${text}\n\n`);

  io.stdout(`blat demo: a sandbox of four machines in ${sanitizeForTerminal(dir)}\n(laptop is self; desktop and server disagree with it; usbdisk's root is missing)\n`);
  say('blat plan');
  await planCommand([], common, sub);
  say('blat apply --auto-approve');
  await applyCommand([], { ...common, autoApprove: true }, sub);
  say('blat plan (again: all in sync but what is owed to usbdisk)');
  await planCommand([], common, sub);
  say('blat journal');
  const { journalCommand } = await import('./journal.js');
  await journalCommand(common, sub);
  // Shell-quoted (safe to paste whatever --dir was) and escaped for the terminal.
  const q = (p: string) => sanitizeForTerminal(quoteShell(p));
  io.stdout(
    `\nThe sandbox stays in ${sanitizeForTerminal(dir)}. Try:\n` +
      `  mkdir ${q(join(dir, 'usbdisk'))} && npx blat -c ${q(config)} apply --resume --auto-approve\n`,
  );
  return 0;
}

/**
 * Makes `dir` (and its parents) unless it exists; refuses one that is not an empty folder: the
 * demo writes a blat.yaml, a state folder and machine roots there, and must never replace a user's.
 */
async function readyEmptyDir(dir: string, given: string): Promise<string> {
  await mkdir(dir, { recursive: true }).catch(() => undefined);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BlatError(`--dir ${escapeControls(given)}: ${code === 'ENOTDIR' || code === 'EEXIST' ? 'not a folder' : `cannot use it (${code ?? (err as Error).message})`}`);
  }
  if (names.length > 0) {
    throw new BlatError(`--dir ${escapeControls(given)}: refused: the folder is not empty (the demo writes blat.yaml, a state folder and machine roots there); give a new or empty folder`);
  }
  return dir;
}
