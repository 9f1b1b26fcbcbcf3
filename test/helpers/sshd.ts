// A real sshd on 127.0.0.1 for a test worker's files (shareSshd) or for one file (startSshd), with
// a client ssh config whose Host aliases (one per simulated machine) all lead to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runChecked, runProcess } from './proc.js';
import { readLoginUser, readRunDir } from './provided.js';
import { SSHD_PATH } from './tools.js';

/** A running harness sshd and the client config that reaches it. */
export interface SshdHandle {
  /** Port sshd listens on (127.0.0.1). */
  readonly port: number;
  /** Temporary directory with keys, configs and the pid file; removed by stop(). */
  readonly dir: string;
  /** Client config for `ssh -F` / blat's `ssh.configFile`. */
  readonly sshConfigFile: string;
  /** The remote login user. */
  readonly user: string;
  /** Host aliases in the client config that reach this sshd (`dead` never does). */
  readonly hosts: readonly string[];
  /** Points `alias` at a closed port (offline = true) or back at sshd (false). */
  setOffline(alias: string, offline: boolean): Promise<void>;
  /** Stops sshd and removes `dir` (a shared sshd: points every alias back at it; see shareSshd). */
  stop(): Promise<void>;
}

/** What startSshd should set up. */
export interface SshdOptions {
  /** Host aliases to write into the client config (default m1, m2, m3). */
  readonly hosts?: readonly string[];
  /** The folder the sshd's own temporary folder is made in (default the system's). */
  readonly parent?: string;
}

/** Alias in the client config that always points at the closed port. */
export const DEAD_HOST = 'dead';
/**
 * A port nothing listens on: privileged (so no unprivileged program takes it) and outside the
 * ephemeral range (so no other test file's sshd lands on it); connecting gets "Connection refused".
 */
export const CLOSED_PORT = 1;
const READY_DEADLINE_MS = 15_000;
const BIND_ATTEMPTS = 5;
const STDERR_CAP = 64 * 1024;

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

/** A path as one ssh/sshd config argument (both honour double quotes). */
function quoteConfigPath(path: string): string {
  if (/["%\n]/.test(path)) throw new Error(`temporary path unusable in an ssh config: ${JSON.stringify(path)}`);
  return `"${path}"`;
}

/** The text of the sshd_config for one harness sshd. */
export function buildSshdConfig(o: { port: number; dir: string; user: string }): string {
  return [
    '# written by test/helpers/sshd.ts',
    `ListenAddress 127.0.0.1:${o.port}`,
    `HostKey ${quoteConfigPath(join(o.dir, 'host_ed25519'))}`,
    `PidFile ${quoteConfigPath(join(o.dir, 'sshd.pid'))}`,
    `AuthorizedKeysFile ${quoteConfigPath(join(o.dir, 'authorized_keys'))}`,
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${o.user}`,
    // No AcceptEnv line: the client's environment is not passed on.
    'PermitUserEnvironment no',
    'PermitUserRC no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'LogLevel ERROR',
    'MaxSessions 50',
    'MaxStartups 100',
    'LoginGraceTime 30',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** The text of the client ssh config: one Host block per alias, offline ones on CLOSED_PORT. */
export function buildClientConfig(o: { port: number; dir: string; user: string; hosts: readonly string[]; offline: ReadonlySet<string> }): string {
  const lines = ['# written by test/helpers/sshd.ts'];
  for (const alias of [...o.hosts, DEAD_HOST]) {
    const port = alias === DEAD_HOST || o.offline.has(alias) ? CLOSED_PORT : o.port;
    lines.push(
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${o.user}`,
      `  IdentityFile ${quoteConfigPath(join(o.dir, 'client_ed25519'))}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${quoteConfigPath(join(o.dir, 'known_hosts'))}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  BatchMode yes',
      '  LogLevel ERROR',
      // X25519 alone: OpenSSH 9's default (sntrup761 with it) makes each new connection here take
      // 0.27 s instead of 0.14 s, mostly CPU, and the suite makes a few hundred (each master).
      '  KexAlgorithms curve25519-sha256',
      '',
    );
  }
  return lines.join('\n');
}

/** Writes a file by temporary file and rename, so a concurrent ssh never reads half of it. */
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

function validateAlias(alias: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(alias) || alias === DEAD_HOST) {
    throw new Error(`startSshd: unusable host alias ${JSON.stringify(alias)}`);
  }
}

interface Running {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function spawnSshd(configFile: string): Running {
  const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const keep = (b: Buffer): void => {
    if (stderr.length < STDERR_CAP) stderr += b.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (e) => {
      stderr += `\ncould not start ${SSHD_PATH}: ${e.message}`;
      resolve(null);
    });
    child.once('exit', (code) => resolve(code));
  });
  return { child, stderr: () => stderr, exited };
}

/** Waits until `ssh -F config alias true` succeeds; 'exited' when sshd died first. */
async function waitForLogin(sshd: Running, configFile: string, alias: string): Promise<{ ok: true } | { ok: false; why: string }> {
  let exited = false;
  void sshd.exited.then(() => (exited = true));
  const deadline = Date.now() + READY_DEADLINE_MS;
  let lastSsh = '';
  while (Date.now() < deadline) {
    if (exited) return { ok: false, why: 'exited' };
    const r = await runProcess('ssh', ['-F', configFile, '-o', 'ConnectTimeout=3', alias, 'true'], { timeoutMs: 10_000 }).catch((e: Error) => ({
      code: -1,
      stdout: '',
      stderr: e.message,
    }));
    if (r.code === 0) return { ok: true };
    lastSsh = r.stderr.trim();
    await sleep(100);
  }
  return { ok: false, why: `no login within ${READY_DEADLINE_MS / 1000} s; last ssh error: ${lastSsh || '(none)'}` };
}

async function stopProcess(sshd: Running): Promise<void> {
  if (sshd.child.exitCode !== null || sshd.child.signalCode !== null || sshd.child.pid === undefined) return;
  sshd.child.kill('SIGTERM');
  const done = await Promise.race([sshd.exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!done) {
    sshd.child.kill('SIGKILL');
    await sshd.exited;
  }
}

/**
 * Starts a throwaway sshd on 127.0.0.1 (random free port, throwaway host and client keys) that lets
 * the login user in, and writes a client config with a Host alias per entry of `hosts` plus `dead`.
 * Rejects, with sshd's stderr, when no login succeeds within 15 s.
 */
export async function startSshd(opts: SshdOptions = {}): Promise<SshdHandle> {
  const hosts = [...(opts.hosts ?? ['m1', 'm2', 'm3'])];
  if (hosts.length === 0) throw new Error('startSshd: give at least one host alias');
  hosts.forEach(validateAlias);
  const user = readLoginUser().name;

  const dir = await mkdtemp(join(opts.parent ?? tmpdir(), 'blat-sshd-'));
  // The login user (blattest when we are root) must reach authorized_keys in here.
  await chmod(dir, 0o755);
  const sshdConfigFile = join(dir, 'sshd_config');
  const sshConfigFile = join(dir, 'ssh_config');
  const offline = new Set<string>();
  let sshd: Running | undefined;
  let port = 0;

  const killOnExit = (): void => {
    sshd?.child.kill('SIGKILL');
  };
  try {
    for (const [name, comment] of [['host_ed25519', 'blat-test-host'], ['client_ed25519', 'blat-test-client']] as const) {
      await runChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(dir, name)]);
    }
    const clientPub = await readFile(join(dir, 'client_ed25519.pub'), 'utf8');
    await writeFile(join(dir, 'authorized_keys'), clientPub, { mode: 0o644 });
    await chmod(join(dir, 'authorized_keys'), 0o644);
    const [keyType, keyData] = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim().split(/\s+/);

    process.once('exit', killOnExit);
    let failure = '';
    for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
      port = await pickFreePort();
      await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${keyType} ${keyData}\n`, { mode: 0o644 });
      await writeAtomic(sshdConfigFile, buildSshdConfig({ port, dir, user }), 0o644);
      await writeAtomic(sshConfigFile, buildClientConfig({ port, dir, user, hosts, offline }), 0o644);
      sshd = spawnSshd(sshdConfigFile);
      const ready = await waitForLogin(sshd, sshConfigFile, hosts[0]);
      if (ready.ok) break;
      await stopProcess(sshd);
      const err = sshd.stderr().trim();
      sshd = undefined;
      failure =
        `sshd on 127.0.0.1:${port} did not let ${user} log in (${ready.why === 'exited' ? 'sshd exited' : ready.why}).\n` +
        `sshd stderr:\n${err || '(empty)'}`;
      // Someone took the port between picking and binding: pick another.
      if (!/Address already in use|Cannot bind any address/i.test(err)) break;
    }
    if (!sshd) throw new Error(failure);
  } catch (err) {
    process.removeListener('exit', killOnExit);
    if (sshd) await stopProcess(sshd);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const running = sshd;
  return {
    port,
    dir,
    sshConfigFile,
    user,
    hosts,
    async setOffline(alias: string, isOffline: boolean): Promise<void> {
      if (!hosts.includes(alias)) throw new Error(`setOffline: ${JSON.stringify(alias)} is not one of ${hosts.join(', ')}`);
      if (isOffline) offline.add(alias);
      else offline.delete(alias);
      await writeAtomic(sshConfigFile, buildClientConfig({ port, dir, user, hosts, offline }), 0o644);
    },
    async stop(): Promise<void> {
      process.removeListener('exit', killOnExit);
      await stopProcess(running);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The hosts of the sshd a test worker shares (see shareSshd). */
const SHARED_HOSTS: readonly string[] = ['m1', 'm2', 'm3'];
let shared: Promise<SshdHandle> | undefined;

/**
 * The sshd this test worker shares among its test files, for aliases among m1, m2 and m3
 * (vitest runs a worker's files one after another in one process: isolate is off). The first
 * file that asks starts it; each later file is spared an sshd's start, and blat's ssh master
 * (left running by ControlPersist) its first connection (the time a suite run spends with fewer
 * than two files running fell from 14–15 s to 8–9 s). Its
 * `stop()` only points every alias back at it; the sshd lives in globalSetup's run folder, and
 * the run's teardown stops it (a worker ends by SIGTERM, without running exit handlers).
 */
export async function shareSshd(hosts: readonly string[] = SHARED_HOSTS): Promise<SshdHandle> {
  const other = hosts.filter((h) => !SHARED_HOSTS.includes(h));
  if (other.length > 0) throw new Error(`shareSshd: ${other.join(', ')} not among ${SHARED_HOSTS.join(', ')}; use startSshd`);
  shared ??= startSshd({ hosts: SHARED_HOSTS, parent: readRunDir() }).catch((error: unknown) => {
    shared = undefined; // the next file tries again
    throw error;
  });
  const sshd = await shared;
  return {
    port: sshd.port,
    dir: sshd.dir,
    sshConfigFile: sshd.sshConfigFile,
    user: sshd.user,
    hosts: [...hosts],
    setOffline: (alias, isOffline) => sshd.setOffline(alias, isOffline),
    async stop(): Promise<void> {
      for (const alias of SHARED_HOSTS) await sshd.setOffline(alias, false);
    },
  };
}
