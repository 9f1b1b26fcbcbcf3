// vitest globalSetup: runs once before all test files.
// - checks that sshd, ssh, ssh-keygen and rsync are installed;
// - makes sshd's privilege-separation directory /run/sshd;
// - as root, makes the unprivileged login user `blattest` (home without rc files);
//   otherwise the current user is the login user;
// - makes the run's folder (the sshds the test workers share live in it: see shareSshd), which
//   the teardown stops and removes;
// - bundles src/ into dist/bin/ so the CLI tests run the current code, and type-checks src/
//   meanwhile (the run fails at the end when tsc does).
// Test files read the results with readLoginUser() / readBuildResult() / readRunDir() from
// test/helpers/provided.ts (vitest `project.provide` → `inject`).
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { BuildResult, LoginUser } from './helpers/provided.js';
import { SSHD_PATH as SSHD } from './helpers/tools.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TEST_USER = 'blattest';
const TEST_HOME = '/var/lib/blattest';
/** Files in the login user's home that a shell or sshd would read and that could print something. */
const RC_FILES = ['.profile', '.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.login', '.cshrc', '.kshrc', '.shrc', '.ssh'];

/** Whether `name` is an executable file on PATH. */
function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Throws a one-paragraph error when a tool the integration tests need is missing. */
function checkTools(): void {
  const missing: string[] = [];
  try {
    accessSync(SSHD, constants.X_OK);
  } catch {
    missing.push(SSHD);
  }
  for (const tool of ['ssh', 'ssh-keygen', 'rsync']) if (!onPath(tool)) missing.push(tool);
  if (missing.length > 0) {
    throw new Error(
      `blat's tests need a real sshd, ssh, ssh-keygen and rsync; missing: ${missing.join(', ')}.\n` +
        'On Debian: apt-get install --no-install-recommends rsync openssh-client openssh-server (.ci/run does this).',
    );
  }
}

/** sshd refuses to start without its privilege-separation directory. */
function ensurePrivsepDir(isRoot: boolean): void {
  if (existsSync('/run/sshd')) return;
  if (!isRoot) throw new Error('sshd needs the directory /run/sshd (owned by root, mode 0755); create it once as root: mkdir -m 0755 /run/sshd');
  mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
}

/** `getent passwd NAME` as a LoginUser, or undefined when there is no such user. */
function lookupUser(name: string): LoginUser | undefined {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const f = line.split(':');
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/**
 * Makes (once) the system user `blattest` with /bin/sh as shell and a home without rc files,
 * so a remote command's output is exactly what the command printed.
 */
function ensureTestUser(): LoginUser {
  if (!lookupUser(TEST_USER)) {
    run('useradd', ['--system', '--create-home', '--home-dir', TEST_HOME, '--shell', '/bin/sh', TEST_USER]);
  }
  // With UsePAM no, sshd refuses accounts whose password field starts with "!" (useradd's default).
  // "*" matches no password but is not "locked". The shell is reset in case the user predates us.
  run('usermod', ['--password', '*', '--shell', '/bin/sh', TEST_USER]);
  const user = lookupUser(TEST_USER);
  if (!user) throw new Error(`could not create the test user ${TEST_USER}`);
  for (const f of RC_FILES) rmSync(join(user.home, f), { recursive: true, force: true });
  return user;
}

/**
 * Builds the bundle the bin runs (dist/bin/, esbuild straight from src/: what the CLI tests run);
 * errors are returned, not thrown. The type check runs meanwhile (see startTypeCheck).
 */
function buildDist(): BuildResult {
  try {
    execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output: '' };
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    const output = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`.trim() || e.message;
    return { ok: false, output };
  }
}

/**
 * `tsc --noEmit` started in the background while the tests run (it took 5 s before the first test
 * when it ran first); the teardown waits for it and fails the run with its output.
 */
function startTypeCheck(): () => Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // Incremental: its record of the last check (in node_modules/.cache, out of git) halves the CPU
  // of a check where little changed; a fresh clone checks everything.
  const args = ['--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/blat-tsc-noemit.tsbuildinfo', '-p', 'tsconfig.json'];
  const child = spawn(process.execPath, [tsc, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
  return async () => {
    const code = await ended;
    if (code !== 0) throw new Error(`tsc ${args.join(' ')} failed:\n${Buffer.concat(out).toString().trim()}`);
  };
}

/**
 * The run's folder: the sshds the test workers share (shareSshd) make theirs in it. Readable by
 * all, as the login user must reach its sshds' authorized_keys.
 */
function makeRunDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'blat-test-run-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Stops the sshds in the run's folder (each by the pid file it wrote) and removes the folder. */
function removeRunDir(dir: string): void {
  for (const name of readdirSync(dir)) {
    let pid = NaN;
    try {
      pid = Number(readFileSync(join(dir, name, 'sshd.pid'), 'utf8').trim());
    } catch {
      // no pid file: that sshd never started, or was stopped
    }
    if (Number.isInteger(pid) && pid > 1) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export default function setup(project: TestProject): () => Promise<void> {
  checkTools();
  const isRoot = process.getuid?.() === 0;
  ensurePrivsepDir(isRoot);
  const login: LoginUser = isRoot
    ? ensureTestUser()
    : { name: userInfo().username, uid: userInfo().uid, gid: userInfo().gid, home: userInfo().homedir };
  const build = buildDist();
  if (!build.ok) {
    // Not fatal here so that tests which do not run the CLI still run; runBlat() fails with this output.
    const head = build.output.split('\n').slice(0, 20).join('\n');
    process.stderr.write(`\n[globalSetup] could not build dist/; every runBlat() call will fail:\n${head}\n\n`);
  }
  const runDir = makeRunDir();
  project.provide('blatLoginUser', login);
  project.provide('blatBuild', build);
  project.provide('blatRunDir', runDir);
  const typeChecked = startTypeCheck();
  return async () => {
    try {
      await typeChecked();
    } finally {
      removeRunDir(runDir);
    }
  };
}
