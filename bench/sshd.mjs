// A private sshd on 127.0.0.1 for the benchmark (a small JS copy of test/helpers/sshd.ts):
// throwaway host and client keys, a random free port, and a client ssh_config whose
// Host aliases all lead to it. As root the login user is the unprivileged `blattest`
// (made the way test/globalSetup.ts makes it when missing), otherwise the current user.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

export const SSHD_PATH = '/usr/sbin/sshd';
const TEST_USER = 'blattest';
const TEST_HOME = '/var/lib/blattest';
const RC_FILES = ['.profile', '.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.login', '.cshrc', '.kshrc', '.shrc', '.ssh'];

/** `getent passwd NAME` as { name, uid, gid, home }, or undefined. */
function lookupUser(name) {
  let line;
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const f = line.split(':');
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
}

/** The user the benchmark logs in as over ssh (made when missing, as root). */
export function readyLoginUser() {
  const isRoot = process.getuid?.() === 0;
  if (!existsSync('/run/sshd')) {
    if (!isRoot) throw new Error('sshd needs /run/sshd (root-owned, 0755): mkdir -m 0755 /run/sshd as root');
    mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  }
  if (!isRoot) {
    const u = userInfo();
    return { name: u.username, uid: u.uid, gid: u.gid, home: u.homedir };
  }
  if (!lookupUser(TEST_USER)) {
    execFileSync('useradd', ['--system', '--create-home', '--home-dir', TEST_HOME, '--shell', '/bin/sh', TEST_USER], { stdio: 'pipe' });
  }
  // UsePAM no: a "!" password field is "locked"; "*" is not.
  execFileSync('usermod', ['--password', '*', '--shell', '/bin/sh', TEST_USER], { stdio: 'pipe' });
  const user = lookupUser(TEST_USER);
  if (!user) throw new Error(`could not create the user ${TEST_USER}`);
  for (const f of RC_FILES) rmSync(join(user.home, f), { recursive: true, force: true });
  return user;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function pickFreePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      server.close(() => resolve(port));
    });
  });
}

function q(path) {
  if (/["%\n]/.test(path)) throw new Error(`path unusable in an ssh config: ${JSON.stringify(path)}`);
  return `"${path}"`;
}

function sshdConfig({ port, dir, user }) {
  return [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${q(join(dir, 'host_ed25519'))}`,
    `PidFile ${q(join(dir, 'sshd.pid'))}`,
    `AuthorizedKeysFile ${q(join(dir, 'authorized_keys'))}`,
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'PermitUserEnvironment no',
    'PermitUserRC no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'LogLevel ERROR',
    'MaxSessions 100',
    'MaxStartups 100',
    'LoginGraceTime 30',
    '',
  ].join('\n');
}

function clientConfig({ port, dir, user, hosts, delayMs }) {
  const lines = [];
  for (const alias of hosts) {
    lines.push(
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      ...(delayMs > 0 ? [`  ProxyCommand ${q(process.execPath)} ${q(join(BENCH_DIR, 'delay-proxy.mjs'))} %h %p ${delayMs}`] : []),
      `  User ${user}`,
      `  IdentityFile ${q(join(dir, 'client_ed25519'))}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${q(join(dir, 'known_hosts'))}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '',
    );
  }
  return lines.join('\n');
}

/**
 * Starts sshd in `dir` (made, mode 0755) for `user` with Host aliases `hosts`; resolves to
 * { port, sshConfigFile, stop() } once a login succeeds, rejects with sshd's stderr otherwise.
 * With `delayMs`, clients reach it through bench/delay-proxy.mjs (that one-way delay each way).
 */
export async function startSshd({ dir, user, hosts = ['m1', 'm2', 'm3'], delayMs = 0 }) {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  for (const [name, comment] of [['host_ed25519', 'blat-bench-host'], ['client_ed25519', 'blat-bench-client']]) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(dir, name)], { stdio: 'pipe' });
  }
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_ed25519.pub'), 'utf8'), { mode: 0o644 });
  const [keyType, keyData] = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim().split(/\s+/);
  const sshConfigFile = join(dir, 'ssh_config');
  let lastErr = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await pickFreePort();
    await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${keyType} ${keyData}\n`, { mode: 0o644 });
    await writeFile(join(dir, 'sshd_config'), sshdConfig({ port, dir, user: user.name }), { mode: 0o644 });
    await writeFile(sshConfigFile, clientConfig({ port, dir, user: user.name, hosts, delayMs }), { mode: 0o644 });
    const child = spawn(SSHD_PATH, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b.toString()));
    let exited = false;
    const exitedP = new Promise((resolve) => {
      child.once('exit', () => ((exited = true), resolve()));
      child.once('error', (e) => ((stderr += e.message), (exited = true), resolve()));
    });
    const stop = async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exitedP.then(() => true), sleep(5000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exitedP;
      }
    };
    const deadline = Date.now() + 15_000;
    while (!exited && Date.now() < deadline) {
      try {
        execFileSync('ssh', ['-F', sshConfigFile, '-o', 'ConnectTimeout=3', hosts[0], 'true'], { stdio: 'pipe', timeout: 10_000 });
        return { port, sshConfigFile, pid: child.pid, stop };
      } catch (e) {
        lastErr = String(e.stderr ?? e.message).trim();
        await sleep(100);
      }
    }
    await stop();
    lastErr = `sshd on port ${port}: ${stderr.trim() || '(no stderr)'}; last ssh error: ${lastErr}`;
    if (!/Address already in use|Cannot bind/i.test(stderr)) break;
  }
  throw new Error(`could not start a private sshd: ${lastErr}`);
}
