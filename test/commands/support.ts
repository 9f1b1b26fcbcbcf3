// Shared helpers of the command end-to-end tests: what a machine's root holds, byte for byte.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildCliEnv, CLI_PATH, runBlat } from '../helpers/cli.js';
import type { ProcessResult } from '../helpers/proc.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { shareSshd, type SshdHandle } from '../helpers/sshd.js';
import { readStat } from '../helpers/tree.js';

/** What a machine holds at one path, as compared across machines: raw content, link target, exact mtime, mode. */
export interface Held {
  readonly type: 'file' | 'symlink' | 'dir' | 'other';
  /** File content (files only). */
  readonly content?: Buffer;
  readonly target?: string;
  /** Exact nanoseconds (files and symlinks; undefined for dirs). */
  readonly mtimeNs?: bigint;
  readonly mode: number;
}

/** Every path under the machine's root (but `.blat-trash` and `.blat`, blat's own) with content, target and exact mtime. */
export async function readHeld(box: Sandbox, machine: string): Promise<Map<string, Held>> {
  const root = box.root(machine);
  const out = new Map<string, Held>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(rel ? join(root, rel) : root)) {
      const path = rel ? `${rel}/${name}` : name;
      if (path === '.blat-trash' || path === '.blat') continue;
      const st = await readStat(join(root, path));
      if (st.type === 'dir') {
        out.set(path, { type: 'dir', mode: st.mode });
        await walk(path);
      } else if (st.type === 'file') {
        out.set(path, { type: 'file', content: await readFile(join(root, path)), mtimeNs: st.mtimeNs, mode: st.mode });
      } else {
        out.set(path, { type: st.type, target: st.target, mtimeNs: st.mtimeNs, mode: st.mode });
      }
    }
  };
  await walk('');
  return out;
}

/** A random suffix for marker files such as /tmp/blat-pwned-<random>. */
export function randomTag(): string {
  return randomBytes(6).toString('hex');
}

/**
 * stderr without ssh's "ControlSocket … already exists, disabling multiplexing" warnings: the harness's
 * machines are one sshd (same host, port and user, hence the same ControlPath %C), so their first
 * connections race for one socket. Everything else stays, for the test to see.
 */
export function withoutMuxNoise(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^warning: [\w.-]+: ControlSocket .* already exists, disabling multiplexing$/.test(line))
    .join('\n');
}

/** A blat started in the background, in its own process group. */
export interface BackgroundBlat {
  readonly pid: number;
  /** Resolves when it has ended, with what it printed. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** SIGKILLs its whole process group (blat, rsync, ssh clients). */
  killGroup(): void;
  /** What it has printed on stderr so far. */
  stderrSoFar(): string;
  /** What it has printed on stdout so far. */
  stdoutSoFar(): string;
}

/** Starts `node dist/cli.js args…` detached (its own process group), stdin closed, `env` added to the CLI's environment. */
export function startBlatInBackground(args: readonly string[], cwd: string, env: Record<string, string> = {}): BackgroundBlat {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd, env: buildCliEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not start blat in the background');
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() })),
  );
  const pid = child.pid;
  return {
    pid,
    ended,
    stderrSoFar: () => Buffer.concat(err).toString(),
    stdoutSoFar: () => Buffer.concat(out).toString(),
    killGroup() {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    },
  };
}

/** Pids of the rsync processes whose working directory lies under `dir`. */
async function readRsyncPidsUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const comm = await readFile(`/proc/${name}/comm`, 'utf8').catch(() => '');
    if (comm.trim() !== 'rsync') continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(name));
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Ends every rsync working under `dir` (the sandbox) that a killed blat left running, such as
 * the rsync servers sshd started for it: those still there after `graceMs` (they normally see
 * their connection close and clean up) get SIGTERM (rsync removes its temporary file), then
 * SIGKILL after as long again. Returns the pids it signalled.
 */
export async function endRsyncUnder(dir: string, graceMs = 3_000): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  let pids = await readRsyncPidsUnder(dir);
  while (pids.length > 0 && Date.now() < deadline) {
    await sleep(50);
    pids = await readRsyncPidsUnder(dir);
  }
  const signalled = [...pids];
  for (const pid of pids) signal(pid, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  while (pids.length > 0 && Date.now() < killAt) {
    await sleep(50);
    pids = await readRsyncPidsUnder(dir);
  }
  for (const pid of pids) signal(pid, 'SIGKILL');
  return signalled;
}

/** Writes `bytes` random bytes (from /dev/urandom, streamed) to an absolute path. */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  await pipeline(createReadStream('/dev/urandom', { start: 0, end: bytes - 1 }), createWriteStream(path));
}

/** sha256 (hex) of a file, streamed. */
export async function readSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Polls `check` every 10 ms until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The worker's shared sshd serving `hosts` for the calling test file (see shareSshd: every alias
 * back online after the file's tests), and a docs sandbox on it per call of `sandbox()`.
 */
export function useDocsMachines(hosts: readonly string[]): { readonly sshd: SshdHandle; sandbox(): Promise<Sandbox> } {
  let sshd: SshdHandle | undefined;
  beforeAll(async () => {
    sshd = await shareSshd([...hosts]);
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  const started = (): SshdHandle => {
    if (!sshd) throw new Error('the sshd is not started yet (use it inside a test)');
    return sshd;
  };
  return {
    get sshd() {
      return started();
    },
    sandbox: () => makeDocsSandbox(started(), hosts),
  };
}

/** The usual sandbox of these tests: `here` (local, self) and the ssh machines, syncing `docs`. */
export function makeDocsSandbox(sshd: SshdHandle, ssh: readonly string[]): Promise<Sandbox> {
  return makeSandbox({ sshd, ssh: [...ssh], local: ['here'], self: 'here', paths: ['docs'] });
}

/** One owed item as `blat journal --json` prints it. */
export interface OwedDoc {
  machine: string;
  path: string;
  since: string;
  kind: string;
  reason: string;
}

/** What `blat journal --json` says is owed (and that it exits 0). */
export async function readOwed(box: Sandbox): Promise<OwedDoc[]> {
  const r = await runBlat(['journal', '--json'], { cwd: box.dir });
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { owed: OwedDoc[] }).owed;
}

/**
 * The sandbox of the plan-side tests: `here` (local, self), the given ssh machines, and `dead`,
 * an ssh machine declared outofuse (never to be contacted), syncing `paths`.
 */
export function makeSandboxWithDead(sshd: SshdHandle, ssh: readonly string[], paths: readonly string[] = ['docs']): Promise<Sandbox> {
  return makeSandbox({
    sshd,
    ssh: [...ssh, 'dead'],
    local: ['here'],
    self: 'here',
    paths: [...paths],
    extraConfig: { machines: { dead: { state: 'outofuse' } } },
  });
}

/** An error run: exit 1, nothing on stdout, exactly one `blat: …` line on stderr (equal to, or matching, `line`), no stack trace. */
export function expectOneError(r: ProcessResult, line: string | RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(r.code).toBe(1);
}
