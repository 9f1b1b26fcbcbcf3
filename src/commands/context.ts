import { findConfigPath, readConfig } from '../config/readConfig.js';
import { CONTROLLER, resolveSelf } from '../config/self.js';
import { stagingDir } from '../apply/relay.js';
import { resolveTargets } from '../config/targets.js';
import { escapeControls } from '../escape.js';
import { UsageError } from '../errors.js';
import { readyControlDir } from '../transport/controlDir.js';
import { buildSshOptions } from '../transport/sshArgs.js';
import type { Config, MachineConfig, NameFolding, PlanOptions, Prefer, RefusedNames } from '../types.js';
import type { CommandIO, GlobalOptions } from './io.js';

/** The config, self and narrowed sync paths a run works on. */
export interface RunContext {
  readonly config: Config;
  /** The machine blat runs on; for a controller (self: none), a stand-in that is no configured machine (see buildControllerSelf). */
  readonly self: MachineConfig;
  /** The sync paths this run covers (all of `paths:` unless narrowed). */
  readonly targets: readonly string[];
  /** True when path arguments narrowed the run. */
  readonly narrowed: boolean;
}

/** Reads the config named by -c, $BLAT_CONFIG or ./blat.yaml. */
export function readCommandConfig(opts: GlobalOptions, io: CommandIO): Promise<Config> {
  return readConfig(findConfigPath({ flag: opts.config, env: io.env, cwd: io.cwd }), io.env);
}

/** Reads the config and resolves self and the path arguments; contacts nothing. */
export async function readRunContext(opts: GlobalOptions, io: CommandIO, args: readonly string[] = []): Promise<RunContext> {
  const config = await readCommandConfig(opts, io);
  const selfName = resolveSelf(config, { flag: opts.self, env: io.env, hostname: io.hostname });
  if (selfName === CONTROLLER) {
    // A controller holds no copy: path arguments are relative to the machines' roots.
    const self = buildControllerSelf(config);
    const outside = args.find((a) => a.startsWith('/') || a === '..' || a.startsWith('../'));
    if (outside !== undefined) throw new UsageError(`${escapeControls(outside)}: with self: ${CONTROLLER} (a controller), name paths relative to the machines' roots, as in paths: of ${escapeControls(config.file)}`);
    return { config, self, targets: resolveTargets(config, self.root, self.root, args), narrowed: args.length > 0 };
  }
  const self = config.machines.find((m) => m.name === selfName)!;
  const targets = resolveTargets(config, self.root, io.cwd, args);
  return { config, self, targets, narrowed: args.length > 0 };
}

/**
 * Self of a controller run (`self: none`): no machine of the config, but a local folder, the
 * staging folder in the state folder, through which apply relays each file (see apply/relay.ts).
 */
export function buildControllerSelf(config: Config): MachineConfig {
  return Object.freeze({ name: CONTROLLER, transport: 'local' as const, root: stagingDir(config.stateDir), aliases: Object.freeze([]) });
}

/** Parses `--prefer newest|MACHINE` against the configured machines. */
export function parsePrefer(value: string | undefined, config: Config): Prefer {
  if (value === undefined) return { kind: 'none' };
  if (value === 'newest') return { kind: 'newest' };
  if (config.machines.some((m) => m.name === value)) return { kind: 'machine', machine: value };
  throw new UsageError(`--prefer ${JSON.stringify(value)}: expected "newest" or a machine (${config.machines.map((m) => m.name).join(', ')})`);
}

/** Planner options from the command line and the config. */
export function buildPlanOptions(ctx: RunContext, flags: { prefer?: string; keepBoth?: boolean; propagateDeletes?: boolean }): PlanOptions {
  if (flags.keepBoth && flags.prefer !== undefined) throw new UsageError('--keep-both and --prefer: choose one (each conflict gets one answer; narrow the run with path arguments to answer conflicts differently)');
  return {
    prefer: parsePrefer(flags.prefer, ctx.config),
    ...(flags.keepBoth ? { keepBoth: true } : {}),
    propagateDeletes: flags.propagateDeletes === true,
    ...buildVersionOptions(ctx.config),
    ...buildFoldingOption(ctx.config),
    ...buildNoSymlinksOption(ctx.config),
    ...buildRefusedNamesOption(ctx.config),
    targets: ctx.narrowed ? ctx.targets : [],
  };
}

/** The planner's `folding` option: the machines whose filesystems fold names (probed); nothing when none does. */
export function buildFoldingOption(config: Config): Pick<PlanOptions, 'folding'> {
  const folding: Record<string, NameFolding> = {};
  for (const m of config.machines) if (m.folding !== undefined) folding[m.name] = m.folding;
  return Object.keys(folding).length > 0 ? { folding } : {};
}

/** The planner's `noSymlinks` option: the machines whose filesystems hold no symlinks (probed); nothing when every one does. */
export function buildNoSymlinksOption(config: Config): Pick<PlanOptions, 'noSymlinks'> {
  const none = config.machines.filter((m) => m.symlinks === false).map((m) => m.name);
  return none.length > 0 ? { noSymlinks: none } : {};
}

/** The planner's `refusedNames` option: the machines whose filesystems refuse some names (probed); nothing when none does. */
export function buildRefusedNamesOption(config: Config): Pick<PlanOptions, 'refusedNames'> {
  const refused: Record<string, RefusedNames> = {};
  for (const m of config.machines) if (m.refusedNames !== undefined) refused[m.name] = m.refusedNames;
  return Object.keys(refused).length > 0 ? { refusedNames: refused } : {};
}

/** The planner's version options of a config: the default window, the machines' own windows, the machines whose modes do not count. */
export function buildVersionOptions(config: Config): Pick<PlanOptions, 'modifyWindow' | 'windows' | 'ignorePerms'> {
  const windows: Record<string, number> = {};
  for (const m of config.machines) if (m.modifyWindow !== undefined) windows[m.name] = m.modifyWindow;
  const ignorePerms = config.machines.filter((m) => m.perms === 'ignore').map((m) => m.name);
  return {
    modifyWindow: config.modifyWindow,
    ...(Object.keys(windows).length > 0 ? { windows } : {}),
    ...(ignorePerms.length > 0 ? { ignorePerms } : {}),
  };
}

/** The ssh options of this run, with the private control-socket directory made ready. */
export async function readySshOptions(config: Config): Promise<string[]> {
  return buildSshOptions(config.ssh, await readyControlDir());
}
