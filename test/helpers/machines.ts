// A throwaway blat setup: one root directory per machine and a blat.yaml that
// reaches the ssh machines through the harness sshd.
import { chown, lchown, mkdir, mkdtemp, readFile, rm, symlink as fsSymlink, writeFile, chmod, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { readLoginUser } from './provided.js';
import type { SshdHandle } from './sshd.js';
import { readStat, readTree, writeMtime, type FileStat, type TreeEntry } from './tree.js';

/** The machines and paths of a sandbox. */
export interface SandboxOptions {
  /** Required when `ssh` is not empty. */
  readonly sshd?: SshdHandle;
  /** Machines reached over ssh; each name must be a host alias of `sshd` (or `dead`). */
  readonly ssh: readonly string[];
  /** Machines with `transport: local`. */
  readonly local: readonly string[];
  readonly self: string;
  readonly paths: readonly string[];
  /** Deep-merged over the generated config (objects merge, anything else replaces, null deletes). */
  readonly extraConfig?: Record<string, unknown>;
}

/** A sandbox on disk and the file operations tests use on its machines' roots. */
export interface Sandbox {
  readonly dir: string;
  /** Absolute path of blat.yaml (in `dir`, the cwd to run blat from). */
  readonly configFile: string;
  /** Absolute root directory of a machine (its name contains a space). */
  root(machine: string): string;
  /** Rewrites blat.yaml with another `extraConfig` over the generated one. */
  writeConfig(extraConfig?: Record<string, unknown>): Promise<void>;
  /**
   * Writes the generated config with `extraConfig` over it to another file (its folder made): a
   * second controller's config (say `self: m1`), whose relative stateDir is beside it.
   */
  writeConfigAt(file: string, extraConfig?: Record<string, unknown>): Promise<void>;
  /** Writes a file (making parent directories), owned like the machine's root; mtime in seconds (string for exact ns). */
  write(machine: string, relPath: string, content: string | Buffer, mtime?: number | string): Promise<void>;
  /** Makes a directory (and parents), owned like the machine's root. */
  mkdir(machine: string, relPath: string, mtime?: number | string): Promise<void>;
  /** Makes a symlink, owned like the machine's root. */
  symlink(machine: string, relPath: string, target: string, mtime?: number | string): Promise<void>;
  /** Removes a path (recursively) if present. */
  remove(machine: string, relPath: string): Promise<void>;
  read(machine: string, relPath: string): Promise<string>;
  stat(machine: string, relPath: string): Promise<FileStat>;
  exists(machine: string, relPath: string): Promise<boolean>;
  /** Sorted relative paths under the machine's root with type, size and mtime (float seconds); blat's own records (`.blat`) left out. */
  listTree(machine: string): Promise<TreeEntry[]>;
  /** Removes the sandbox directory. */
  cleanup(): Promise<void>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `extra` merged into `base`: plain objects merge key by key, null deletes, anything else replaces. */
export function buildMerged(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    if (value === null) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = buildMerged(out[key] as Record<string, unknown>, value);
    else out[key] = value;
  }
  return out;
}

/** The blat.yaml content (as an object) for a sandbox: machines as a name → settings map. */
export function buildSandboxConfig(o: {
  sshConfigFile?: string;
  ssh: readonly string[];
  local: readonly string[];
  self: string;
  paths: readonly string[];
  roots: ReadonlyMap<string, string>;
}): Record<string, unknown> {
  const machines: Record<string, unknown> = {};
  for (const name of o.ssh) machines[name] = { host: name, root: o.roots.get(name) };
  for (const name of o.local) machines[name] = { transport: 'local', root: o.roots.get(name) };
  return {
    version: 1,
    self: o.self,
    paths: [...o.paths],
    stateDir: '.blat',
    ssh: { ...(o.sshConfigFile ? { configFile: o.sshConfigFile } : {}), connectTimeout: 3 },
    machines,
  };
}

/** Rejects relative paths that would leave the root. */
function checkRelPath(relPath: string): void {
  if (relPath === '' || relPath.startsWith('/') || relPath.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new Error(`sandbox: bad relative path ${JSON.stringify(relPath)}`);
  }
}

/**
 * Makes a sandbox directory with `roots/<name> root` per machine (ssh machines' roots owned by the
 * login user) and a blat.yaml whose ssh machines use the harness client config.
 */
export async function makeSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const all = [...opts.ssh, ...opts.local];
  if (new Set(all).size !== all.length) throw new Error(`makeSandbox: machine names repeat: ${all.join(', ')}`);
  if (opts.ssh.length > 0) {
    if (!opts.sshd) throw new Error('makeSandbox: ssh machines need an sshd handle');
    for (const name of opts.ssh) {
      if (name !== 'dead' && !opts.sshd.hosts.includes(name)) {
        throw new Error(`makeSandbox: ssh machine ${name} is not a host of the sshd (${opts.sshd.hosts.join(', ')}, dead)`);
      }
    }
  }
  const login = readLoginUser();
  const isRoot = process.getuid?.() === 0;
  // Only when we are root and the remote user is someone else do files need another owner.
  const owner = isRoot && login.uid !== 0 ? { uid: login.uid, gid: login.gid } : undefined;

  const dir = await mkdtemp(join(tmpdir(), 'blat-sandbox-'));
  await chmod(dir, 0o755);
  const roots = new Map<string, string>();
  const sshMachines = new Set(opts.ssh);
  await mkdir(join(dir, 'roots'), { mode: 0o755 });
  for (const name of all) {
    const root = join(dir, 'roots', `${name} root`);
    await mkdir(root, { mode: 0o755 });
    if (owner && sshMachines.has(name)) await chown(root, owner.uid, owner.gid);
    roots.set(name, root);
  }
  const generated = buildSandboxConfig({ sshConfigFile: opts.sshd?.sshConfigFile, ssh: opts.ssh, local: opts.local, self: opts.self, paths: opts.paths, roots });
  const configFile = join(dir, 'blat.yaml');

  const rootOf = (machine: string): string => {
    const root = roots.get(machine);
    if (!root) throw new Error(`sandbox: no machine ${JSON.stringify(machine)} (have ${all.join(', ')})`);
    return root;
  };
  const pathOf = (machine: string, relPath: string): string => {
    checkRelPath(relPath);
    return join(rootOf(machine), relPath);
  };
  const ownerOf = (machine: string): { uid: number; gid: number } | undefined => (sshMachines.has(machine) ? owner : undefined);
  /** Makes the parent directories of relPath one by one, giving new ones the machine's owner. */
  const makeParents = async (machine: string, relPath: string): Promise<void> => {
    const segments = relPath.split('/').slice(0, -1);
    let path = rootOf(machine);
    for (const segment of segments) {
      path = join(path, segment);
      const made = await mkdir(path, { mode: 0o755 }).then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'EEXIST') return false;
          throw e;
        },
      );
      const o = ownerOf(machine);
      if (made && o) await chown(path, o.uid, o.gid);
    }
  };
  const finish = async (machine: string, path: string, mtime: number | string | undefined): Promise<void> => {
    const o = ownerOf(machine);
    if (o) await lchown(path, o.uid, o.gid);
    if (mtime !== undefined) await writeMtime(path, mtime);
  };

  const sandbox: Sandbox = {
    dir,
    configFile,
    root: rootOf,
    async writeConfig(extraConfig = {}) {
      await writeFile(configFile, stringify(buildMerged(generated, extraConfig)));
    },
    async writeConfigAt(file, extraConfig = {}) {
      await mkdir(dirname(file), { recursive: true, mode: 0o755 });
      await writeFile(file, stringify(buildMerged(generated, extraConfig)));
    },
    async write(machine, relPath, content, mtime) {
      const path = pathOf(machine, relPath);
      await makeParents(machine, relPath);
      await writeFile(path, content);
      await finish(machine, path, mtime);
    },
    async mkdir(machine, relPath, mtime) {
      const path = pathOf(machine, relPath);
      await makeParents(machine, `${relPath}/x`);
      await finish(machine, path, mtime);
    },
    async symlink(machine, relPath, target, mtime) {
      const path = pathOf(machine, relPath);
      await makeParents(machine, relPath);
      await fsSymlink(target, path);
      await finish(machine, path, mtime);
    },
    async remove(machine, relPath) {
      await rm(pathOf(machine, relPath), { recursive: true, force: true });
    },
    read: async (machine, relPath) => readFile(pathOf(machine, relPath), 'utf8'),
    stat: async (machine, relPath) => readStat(pathOf(machine, relPath)),
    exists: async (machine, relPath) =>
      lstat(pathOf(machine, relPath)).then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return false;
          throw e;
        },
      ),
    listTree: async (machine) => (await readTree(rootOf(machine))).filter((e) => e.path !== '.blat' && !e.path.startsWith('.blat/')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  await sandbox.writeConfig(opts.extraConfig);
  return sandbox;
}
