// Commander wiring and the single catch that maps errors to exit codes.
import { Command, CommanderError, Option } from 'commander';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { BlatError } from './errors.js';
import { escapeControls } from './escape.js';
import { sanitizeForTerminal } from './escape.js';
import { interruptExitCode, type CommandIO, type GlobalOptions, type Interrupts } from './commands/io.js';

const VERSION = '0.1.0';

/**
 * Writes to `stream` until it fails: a reader that stops early (`blat plan | head`) must neither
 * print a stack trace nor stop an apply half-way, so later output is dropped instead.
 */
function buildWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let open = true;
  stream.on('error', () => {
    open = false;
  });
  return (text) => {
    if (open) stream.write(text);
  };
}

/**
 * Answers SIGINT and SIGTERM: the first aborts the run's signal when a run holds interrupts (it
 * then ends itself: transfers stopped, outcomes journalled, summary printed); otherwise, or at
 * the second, the process ends at once with 128 + the signal's number.
 */
function watchInterrupts(stderr: (text: string) => void): Interrupts {
  const controller = new AbortController();
  let holds = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted || holds === 0) {
      stderr(`\nblat: ${signal}: stopped at once\n`);
      process.exit(interruptExitCode(signal));
    }
    stderr(`\nblat: ${signal}: stopping the transfers (again to stop at once)\n`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    hold() {
      holds++;
      let held = true;
      return () => {
        if (held) holds--;
        held = false;
      };
    },
  };
}

function buildIO(): CommandIO {
  const stderr = buildWriter(process.stderr);
  return {
    cwd: process.cwd(),
    env: process.env,
    hostname: hostname(),
    stdout: buildWriter(process.stdout),
    stderr,
    stdoutIsTTY: process.stdout.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutColumns: process.stdout.columns,
    stderrIsTTY: process.stderr.isTTY === true,
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      // On a terminal, readline takes Ctrl-C as a key: pass it on as the interrupt it is.
      rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    now: () => Date.now(),
    interrupts: watchInterrupts(stderr),
  };
}

/** Builds the commander program; each action stores its exit code in `result.code`. */
function buildProgram(io: CommandIO, result: { code: number }): Command {
  const program = new Command('blat')
    .description('Keep files identical across several machines reached over ssh: plan, then apply.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <file>', 'config file (default: $BLAT_CONFIG, else ./blat.yaml)')
    .option('--self <machine>', 'the machine blat runs on, or none for a runner holding no copy (default: $BLAT_SELF, self: in the config, else the hostname)')
    .option('-v, --verbose', 'say how the machines were compared; show details and stack traces of errors')
    .showHelpAfterError('(run blat --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  blat plan                      what would be pulled here and pushed where
  blat plan docs/ --json         the same for one folder, as JSON
  blat plan --out plan.json      save the plan, then: blat apply plan.json
  blat plan --detailed-exitcode  exit 0 when in sync, 2 when anything remains, 1 on error
  blat plan --markdown           the plan as a pull-request comment (CI)
  blat machines --probe          contact every machine and show the state table
  blat trash                     the versions apply replaced, kept on each machine
  blat import ~/etc/machine.txt > blat.yaml`,
    );

  // Each command's module is loaded only when it runs: start-up pays for one command, not all.
  const run = (fn: () => Promise<number>) => async () => {
    result.code = await fn();
  };
  // Options of the subcommand merged with the global ones (-c, --self, -v).
  const globals = <T extends GlobalOptions>(cmd: Command): T => cmd.optsWithGlobals<T>();

  const preferOption = new Option('--prefer <newest|machine>', 'resolve conflicts: the newest version, or the named machine\'s');
  const newOption = (): Option =>
    new Option('--new <machine>', 'take MACHINE as a new machine (repeatable): its root is synced afresh, newest wins, nothing deleted because of it')
      .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);

  program
    .command('plan')
    .description('scan every machine once and show what apply would do')
    .argument('[paths...]', 'narrow the run to these paths (relative to the current folder, inside self\'s root)')
    .option('--json', 'print the plan as one JSON document (schemas/plan.schema.json)')
    .option('--markdown', 'print the plan as a pull-request comment (at most 60,000 characters); also appended to $GITHUB_STEP_SUMMARY when set')
    .option('--out <file>', 'save the plan for a later `blat apply FILE`')
    .option('--full', 'list every step instead of counting them per folder and machine, every path whole')
    .option('--detailed-exitcode', 'exit 0 when every machine answered and all are in sync, 2 when anything remains (the last line says what)')
    .addOption(preferOption)
    .option('--keep-both', 'resolve conflicts between files: the newest stays at the path, every other version is kept beside it as STEM.conflict-MACHINE-YYYYMMDD-HHMMSS.EXT on every machine')
    .option('--propagate-deletes', 'plan moving deleted paths to .blat-trash/ on the other machines')
    .addOption(newOption())
    .option('--checksum', 'also compare files by sha256, computed on each machine (reads every file under the paths): copies alike in size and mtime but not in content are conflicts')
    .action((paths: string[], _o, cmd: Command) => run(async () => (await import('./commands/plan.js')).planCommand(paths, globals(cmd), io))());

  program
    .command('apply')
    .description('plan and carry the plan out; or apply a saved plan file; or finish what is owed (--resume)')
    .argument('[paths-or-file...]', 'paths to narrow the run to, or one plan file saved by `blat plan --out`')
    .option('--auto-approve', 'do not ask before applying')
    .option('--resume', 'finish what earlier applies could not do (see `blat journal`)')
    .option('--json', 'one JSON event per line (schemas/apply-events.schema.json), no progress')
    .option('--full', 'list every step instead of counting them per folder and machine, every path whole')
    .addOption(new Option('--prefer <newest|machine>', "resolve conflicts: the newest version, or the named machine's (when it deleted the path: the deletion)"))
    .option('--keep-both', 'resolve conflicts between files: the newest stays at the path, every other version is kept beside it as STEM.conflict-MACHINE-YYYYMMDD-HHMMSS.EXT on every machine')
    .option('--propagate-deletes', 'move paths deleted on one machine into .blat-trash/ on the others')
    .option('--force-deletes', 'let --propagate-deletes go past the mass-deletion guard')
    .addOption(newOption())
    .addHelpText(
      'after',
      `
Exit codes: 0 every machine answered and all are in sync; 2 something remains (the last line says what;
see blat journal), or an error once transfers began; 1 error before any change; 130/143 stopped by Ctrl-C/SIGTERM.

Examples:
  blat apply                         plan, show, ask, apply
  blat apply docs/ --auto-approve    no question (scripts, cron)
  blat apply plan.json               apply a plan saved by blat plan --out plan.json
  blat apply docs/a.txt --prefer m2  resolve one conflict for m2's version (or deletion)
  blat apply docs/b.txt --keep-both  keep every version of another, beside it
  blat apply --resume --auto-approve finish what is owed to machines that were offline
  blat apply --new usb               a disk replaced or reformatted: sync it afresh`,
    )
    .action((args: string[], _o, cmd: Command) => run(async () => (await import('./commands/apply.js')).applyCommand(args, globals(cmd), io))());

  program
    .command('restore')
    .description('undo held deletions: copy each path back from a machine holding it to the machines that deleted it')
    .argument('<paths...>', 'held deletions (as blat plan lists them), relative to the current folder inside self\'s root')
    .option('--auto-approve', 'do not ask before applying')
    .option('--json', 'print the plan and one JSON line per step outcome, no progress line')
    .option('--full', 'list every path instead of summarising more than 50 rows per folder')
    .addHelpText(
      'after',
      `
A path (or a folder holding paths) that is not a held deletion is refused, exit 1. The copy goes
through apply: the same question, journal, checks and exit codes.

Examples:
  blat restore docs/report.txt                the plan of copying it back, then the question
  blat restore docs/old/ --auto-approve       every held deletion under docs/old`,
    )
    .action((paths: string[], _o, cmd: Command) => run(async () => (await import('./commands/restore.js')).restoreCommand(paths, globals(cmd), io))());

  program
    .command('journal')
    .description('show what is owed to which machine, oldest first')
    .option('--json', 'print it as JSON')
    .action((_o, cmd: Command) => run(async () => (await import('./commands/journal.js')).journalCommand(globals(cmd), io))());

  program
    .command('demo')
    .description('build a throwaway sandbox of three local machines and run plan, apply, plan in it')
    .option('--dir <folder>', 'where to build the sandbox (default: a new temporary folder)')
    .action((_o, cmd: Command) => run(async () => (await import('./commands/demo.js')).demoCommand(globals(cmd), io))());

  program
    .command('show')
    .description('print a plan saved by `blat plan --out FILE`')
    .argument('<file>', 'saved plan')
    .option('--json', 'print it as JSON')
    .option('--markdown', 'print it as a pull-request comment; also appended to $GITHUB_STEP_SUMMARY when set')
    .option('--full', 'list every path')
    .action((file: string, _o, cmd: Command) => run(async () => (await import('./commands/show.js')).showCommand(file, globals(cmd), io))());

  program
    .command('machines')
    .description('show the machine state table (online, offline, outofuse, unknown)')
    .option('--probe', 'contact every machine that is not out of use first (blat.py --reload)')
    .option('--json', 'print the table as JSON')
    .action((_o, cmd: Command) => run(async () => (await import('./commands/machines.js')).machinesCommand(globals(cmd), io))());

  const trash = program
    .command('trash')
    .description('list the versions apply kept in each machine\'s trash (.blat-trash/RUN/PATH); restore or prune them')
    .option('--json', 'print the list as JSON')
    .addHelpText(
      'after',
      `
Every version apply replaces or removes on a machine is first moved to ROOT/.blat-trash/RUN/PATH
there (RUN: the apply's time, UTC). Runs older than trash.keepDays (default 30) are removed by
apply on the machines it writes to, and by blat trash prune.

Examples:
  blat trash                                         what each machine keeps: machine, run, path, size
  blat trash restore docs/a.txt --machine m2         put m2's newest kept version of docs/a.txt back
  blat trash restore docs/a.txt --machine m2 --run 2024-05-01T12-00-00-000Z
  blat trash prune                                   remove runs older than trash.keepDays everywhere`,
    )
    .action((_o, cmd: Command) => run(async () => (await import('./commands/trash.js')).trashListCommand(globals(cmd), io))());
  trash
    .command('restore')
    .description('put a kept version back on a machine; what is there now goes to its trash first (the next plan sees a change there)')
    .argument('<path>', 'the path as blat trash lists it (relative to the root)')
    .option('--machine <name>', 'the machine whose trash holds the version (required)')
    .option('--run <run>', 'the run to take it from (default: the newest run holding it)')
    .action((path: string, _o, cmd: Command) => run(async () => (await import('./commands/trash.js')).trashRestoreCommand(path, globals(cmd), io))());
  trash
    .command('prune')
    .description('remove the runs older than trash.keepDays from every machine\'s trash')
    .action((_o, cmd: Command) => run(async () => (await import('./commands/trash.js')).trashPruneCommand(globals(cmd), io))());

  program
    .command('diff')
    .description('show how two versions of a file differ (by default the two newest), read over the usual transports')
    .argument('<path>', 'a file under one of the sync paths')
    .argument('[machines...]', 'two machines whose versions to compare')
    .addHelpText(
      'after',
      `
Text files get a unified diff; binary files and files over 1 MiB their sizes, mtimes and sha256.
Nothing is written on any machine.

Examples:
  blat diff docs/notes.txt              the two newest versions (a conflict's, say)
  blat diff docs/notes.txt m2 m3        m2's version against m3's`,
    )
    .action((path: string, machines: string[], _o, cmd: Command) => run(async () => (await import('./commands/diff.js')).diffCommand(path, machines, globals(cmd), io))());

  program
    .command('import')
    .description("print a blat.yaml made from blat.py's machine.txt")
    .argument('<machine.txt>', 'the old state table')
    .option('--root <dir>', 'root folder of every machine without a root for its OS (default: $HOME, unless a per-OS root is given)')
    .option('--root-linux <dir>', 'root folder of the Linux machines (e.g. /home/ajh)')
    .option('--root-darwin <dir>', 'root folder of the Darwin machines (e.g. /Users/ajh)')
    .addHelpText(
      'after',
      `
Rows blat cannot carry (an OS other than Linux or Darwin, no root for the row's OS, an alias
that is another machine's name) are said on stderr, one line each; every bad line is reported at once.

Examples:
  blat import ~/etc/machine.txt > blat.yaml
  blat import ~/etc/machine.txt --root-linux /home/ajh --root-darwin /Users/ajh > blat.yaml`,
    )
    .action((file: string, _o, cmd: Command) => run(async () => (await import('./commands/importMachines.js')).importCommand(file, globals(cmd), io))());

  return program;
}

/** Runs the CLI and returns the exit code; every error ends here. */
export async function main(argv: readonly string[]): Promise<number> {
  const io = buildIO();
  const result = { code: 0 };
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    await buildProgram(io, result).parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 1;
    }
    if (err instanceof BlatError) {
      // Producers escape the names they quote (escapeControls); this only catches what slipped through.
      for (const line of err.lines) io.stderr(`blat: ${escapeControls(line)}\n`);
      if (verbose && err.detail) io.stderr(`${escapeControls(err.detail)}\n`);
      if (verbose && err.stack) io.stderr(`${err.stack}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    io.stderr(`blat: unexpected error: ${sanitizeForTerminal(e?.message ?? String(err))}\n`);
    if (verbose && e?.stack) io.stderr(`${e.stack}\n`);
    else io.stderr('(run again with --verbose for details)\n');
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
