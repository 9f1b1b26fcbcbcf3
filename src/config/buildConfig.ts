// Assemble the frozen Config from a document that passed validation.
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config, MachineConfig, OsKind, SshSettings, TransportKind } from '../types.js';
import { buildOwnPaths } from './ownPaths.js';
import { buildSetName } from './setName.js';
import { compareStrings, normaliseSyncPath } from './paths.js';

/** The shape of blat.yaml once it has passed the schema and the semantic checks. */
export interface RawConfig {
  version: 1;
  name?: string;
  self?: string;
  paths: string[];
  exclude?: string[];
  stateDir?: string;
  concurrency?: number;
  modifyWindow?: number;
  stallTimeout?: number;
  ssh?: { configFile?: string; options?: string[]; connectTimeout?: number };
  trash?: { keepDays?: number };
  machines: Record<string, RawMachine>;
}

/** One machine as written in blat.yaml. */
export interface RawMachine {
  transport?: TransportKind;
  host?: string;
  root: string;
  aliases?: string[];
  os?: OsKind;
  state?: 'outofuse';
  bwlimit?: number;
  modifyWindow?: number;
  perms?: 'keep' | 'ignore';
  exclude?: string[];
  compress?: boolean;
}

/** Defaults for the optional top-level keys (the schema's `default`s). */
export const CONFIG_DEFAULTS = {
  exclude: [] as readonly string[],
  stateDir: '.blat',
  concurrency: 8,
  modifyWindow: 0,
  stallTimeout: 60,
  sshOptions: [] as readonly string[],
  connectTimeout: 5,
  trashKeepDays: 30,
} as const;

/** `value` and everything reachable from it, frozen. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareStrings(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A local path from the config: `~` and `~/…` are under `home`, relative paths under `base`. */
export function resolveLocalPath(p: string, base: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(base, p);
}

/** A remote root with repeated and trailing slashes removed (`/` stays `/`). */
function tidyRoot(root: string): string {
  const tidy = root.replace(/\/+/g, '/').replace(/\/$/, '');
  return tidy === '' ? '/' : tidy;
}

/** One machine with defaults filled and no undefined members. */
function buildMachine(name: string, raw: RawMachine): MachineConfig {
  const transport = raw.transport ?? 'ssh';
  return {
    name,
    transport,
    ...(transport === 'ssh' && raw.host !== undefined ? { host: raw.host } : {}),
    root: tidyRoot(raw.root),
    aliases: [...(raw.aliases ?? [])],
    ...(raw.os !== undefined ? { os: raw.os } : {}),
    ...(raw.state !== undefined ? { state: raw.state } : {}),
    ...(raw.bwlimit !== undefined ? { bwlimit: raw.bwlimit } : {}),
    ...(raw.modifyWindow !== undefined ? { modifyWindow: raw.modifyWindow } : {}),
    ...(raw.perms !== undefined ? { perms: raw.perms } : {}),
    ...(raw.exclude !== undefined && raw.exclude.length > 0 ? { exclude: [...raw.exclude] } : {}),
    ...(raw.compress === true ? { compress: true as const } : {}),
  };
}

/**
 * The frozen Config for `raw` read from `file`: defaults filled, paths normalised and sorted,
 * `stateDir` and `ssh.configFile` absolute, machines in `machineOrder` (the file's order).
 * The digest covers the settings as declared (local paths as written, not resolved),
 * so the same settings in another folder digest the same; `trash` is left out of it (how long
 * kept versions stay changes nothing a plan does).
 */
export function buildConfig(raw: RawConfig, file: string, machineOrder: readonly string[], home: string): Config {
  const base = dirname(file);
  const paths = raw.paths.map((p) => normaliseSyncPath(p) ?? p).sort(compareStrings);
  const machines = machineOrder.map((name) => buildMachine(name, raw.machines[name]));
  const stateDirAsWritten = raw.stateDir ?? CONFIG_DEFAULTS.stateDir;
  const settings = {
    version: 1 as const,
    ...(raw.name !== undefined ? { name: raw.name } : {}),
    ...(raw.self !== undefined ? { self: raw.self } : {}),
    paths,
    exclude: [...(raw.exclude ?? CONFIG_DEFAULTS.exclude)],
    concurrency: raw.concurrency ?? CONFIG_DEFAULTS.concurrency,
    modifyWindow: raw.modifyWindow ?? CONFIG_DEFAULTS.modifyWindow,
    machines,
  };
  const sshOptions = [...(raw.ssh?.options ?? CONFIG_DEFAULTS.sshOptions)];
  const connectTimeout = raw.ssh?.connectTimeout ?? CONFIG_DEFAULTS.connectTimeout;
  const digest = createHash('sha256')
    .update(
      canonicalJson({
        ...settings,
        stateDir: stateDirAsWritten,
        ssh: { configFile: raw.ssh?.configFile, options: sshOptions, connectTimeout },
      }),
    )
    .digest('hex');
  const ssh: SshSettings = {
    ...(raw.ssh?.configFile !== undefined ? { configFile: resolveLocalPath(raw.ssh.configFile, base, home) } : {}),
    options: sshOptions,
    connectTimeout,
  };
  const stateDir = resolveLocalPath(stateDirAsWritten, base, home);
  return deepFreeze({
    file,
    ...settings,
    // Not in the digest: how long to wait changes no plan.
    stallTimeout: raw.stallTimeout ?? CONFIG_DEFAULTS.stallTimeout,
    stateDir,
    ownPaths: buildOwnPaths(stateDir, machines),
    setName: raw.name ?? buildSetName(paths, machines.map((m) => m.name)),
    ssh,
    trash: { keepDays: raw.trash?.keepDays ?? CONFIG_DEFAULTS.trashKeepDays },
    digest,
  });
}
