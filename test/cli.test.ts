// End to end: the CLI wiring — help, version, usage errors, error lines without stack traces, and colour
// (only on a terminal, never with NO_COLOR or TERM=dumb).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteShell } from '../src/transport/shellQuote.js';
import { buildCliEnv, CLI_PATH, runBlat } from './helpers/cli.js';
import type { Sandbox } from './helpers/machines.js';
import { runProcess, type ProcessResult } from './helpers/proc.js';
import { readBuildResult } from './helpers/provided.js';
import { shareSshd, type SshdHandle } from './helpers/sshd.js';
import { makeSandboxWithDead } from './commands/support.js';

const T = 1_700_000_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

let sshd: SshdHandle;
let box: Sandbox;

beforeAll(async () => {
  sshd = await shareSshd(['m1', 'm2']);
  box = await makeSandboxWithDead(sshd, ['m1', 'm2']);
  // Something of every colour: a pull, pushes, a conflict (equal mtimes, different sizes), an offline machine.
  await box.write('m1', 'docs/new.txt', 'newer on m1\n', T + 10);
  await box.write('here', 'docs/new.txt', 'old\n', T);
  await box.write('here', 'docs/tie.txt', 'one\n', T + 5);
  await box.write('m1', 'docs/tie.txt', 'three\n', T + 5);
  await box.write('here', 'docs/evil\u001b[31mred', 'x\n', T);
  await sshd.setOffline('m2', true);
});

afterAll(async () => {
  await box?.cleanup();
  await sshd?.stop();
});

/** Whether util-linux `script` (a pseudo-terminal for the child) is installed. */
function hasScript(): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, 'script'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs blat on a pseudo-terminal (stdout is a TTY) with NO_COLOR removed and `env` added. */
function runBlatOnTty(args: readonly string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  if (!readBuildResult().ok) throw new Error(`dist/ could not be built:\n${readBuildResult().output}`);
  const base = buildCliEnv();
  delete base.NO_COLOR;
  const command = [process.execPath, CLI_PATH, ...args].map(quoteShell).join(' ');
  return runProcess('script', ['-qec', command, '/dev/null'], { cwd: box.dir, env: { ...base, TERM: 'xterm', ...env } });
}

describe('help, version and usage errors', () => {
  it('--help and --version exit 0', async () => {
    const help = await runBlat(['--help'], { cwd: box.dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: blat \[options\] \[command\]/);
    for (const cmd of ['plan', 'apply', 'journal', 'demo', 'show', 'machines', 'import']) expect(help.stdout).toMatch(new RegExp(`^ {2}${cmd}\\b`, 'm'));
    expect(help.stdout).toContain('blat plan --detailed-exitcode  exit 0 when in sync, 2 when anything remains, 1 on error');
    const planHelp = await runBlat(['plan', '--help'], { cwd: box.dir });
    expect(planHelp.code).toBe(0);
    for (const opt of ['--json', '--out <file>', '--detailed-exitcode', '--prefer <newest|machine>', '--full']) expect(planHelp.stdout).toContain(opt);

    const version = await runBlat(['--version'], { cwd: box.dir });
    expect(version).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it('an unknown command or option, or a missing argument, is exit 1 with the problem first and no stack trace', async () => {
    for (const [args, first] of [
      [['bogus'], "error: unknown command 'bogus'"],
      [['plan', '--bogus'], "error: unknown option '--bogus'"],
      [['plan', '--prefer'], "error: option '--prefer <newest|machine>' argument missing"],
      [['show'], "error: missing required argument 'file'"],
    ] as const) {
      const r = await runBlat(args, { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(first);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('a reader that stops early (`blat plan | head`) gets no stack trace, and the run ends as usual', async () => {
    for (const args of [['--help'], ['plan', '--full']]) {
      const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: box.dir, env: buildCliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // gone before blat writes: its writes fail with EPIPE
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((done) => child.on('close', done));
      expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
      expect(code).toBe(0);
    }
  });

  it('errors are `blat: …` lines; only --verbose adds the stack trace', async () => {
    const quiet = await runBlat(['plan', '--self', 'nobody'], { cwd: box.dir });
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe(`blat: --self names "nobody", which is not a machine in ${box.configFile} (machines: m1, m2, dead, here)\n`);
    const loud = await runBlat(['plan', '--self', 'nobody', '--verbose'], { cwd: box.dir });
    expect(loud.code).toBe(1);
    expect(loud.stderr.split('\n')[0]).toBe(quiet.stderr.trimEnd());
    expect(loud.stderr).toMatch(/^\s+at /m);
  });
});

describe('colour', () => {
  it('no ANSI escapes when stdout is not a terminal, with or without NO_COLOR', async () => {
    await writeFile(join(box.dir, 'garbage.json'), 'nope');
    const out = await runBlat(['plan', '--out', 'p.json'], { cwd: box.dir });
    expect(out.code).toBe(0);
    expect(out.stdout).not.toMatch(ANSI);
    for (const env of [{}, { NO_COLOR: '' }, { NO_COLOR: '1' }] as Record<string, string>[]) {
      const plan = await runBlat(['plan'], { cwd: box.dir, env });
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain('Plan: 1 to pull, 1 to push, ');
      expect(plan.stdout).not.toMatch(ANSI);
      expect(plan.stderr).not.toMatch(ANSI);
      // The escape in a file name is shown escaped, not sent to the terminal.
      expect(plan.stdout).toContain('docs/evil\\x1b[31mred');
      const machines = await runBlat(['machines'], { cwd: box.dir, env });
      expect(machines.stdout).toContain('offline');
      expect(machines.stdout).not.toMatch(ANSI);
      const show = await runBlat(['show', 'p.json'], { cwd: box.dir, env });
      expect(show.stdout).toContain('Conflicts (1)');
      expect(show.stdout).not.toMatch(ANSI);
      const bad = await runBlat(['show', 'garbage.json'], { cwd: box.dir, env });
      expect(bad.code).toBe(1);
      expect(bad.stderr).not.toMatch(ANSI);
    }
  });

  it.skipIf(!hasScript())('on a terminal: colour, unless NO_COLOR is set or TERM=dumb', async () => {
    const coloured = await runBlatOnTty(['plan']);
    expect(coloured.code).toBe(0);
    // Bold headings, green "online", red "offline (refused)", cyan pull, green push, magenta conflict path.
    expect(coloured.stdout).toContain('\u001b[1mMachines:\u001b[22m');
    expect(coloured.stdout).toContain('\u001b[31moffline (refused)\u001b[39m');
    expect(coloured.stdout).toContain('\u001b[36mpull\u001b[39m');
    expect(coloured.stdout).toContain('\u001b[35mdocs/tie.txt\u001b[39m');
    // Even in colour, the escape inside the file name is shown escaped.
    expect(coloured.stdout).toContain('docs/evil\\x1b[31mred');
    expect((await runBlatOnTty(['machines'])).stdout).toMatch(ANSI);

    for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: 'yes' }, { TERM: 'dumb' }] as Record<string, string>[]) {
      const plain = await runBlatOnTty(['plan'], env);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('Plan: 1 to pull, 1 to push, ');
      expect(plain.stdout).not.toMatch(ANSI);
      expect((await runBlatOnTty(['machines'], env)).stdout).not.toMatch(ANSI);
      expect((await runBlatOnTty(['show', 'p.json'], env)).stdout).not.toMatch(ANSI);
    }
  });
});
