import { machineExcludes } from '../config/excludes.js';
import { scanMachine } from '../snapshot/scanMachine.js';
import { buildRootMissingReason } from '../snapshot/scanSnapshot.js';
import type { ScriptSession } from '../transport/runScript.js';
import { buildScriptTarget } from '../transport/targets.js';
import type { Config, Entry } from '../types.js';
import type { Restat } from './preconditions.js';

/** What else a look at some machines may do. */
export interface RestatOptions {
  /** A folder to make ready under each root on the way (the transfer temp folder). */
  readonly prepareDir?: string;
  /** Trash runs older than this run name are removed on the way (see buildPruneLines). */
  readonly pruneTrashBefore?: string;
  /** Machine → paths whose whole trees are listed too (excludes left out), as a scan lists them. */
  readonly trees?: ReadonlyMap<string, Iterable<string>>;
  /** Machine → a shell already started there (see openScriptSession), used instead of a new one. */
  readonly sessions?: ReadonlyMap<string, ScriptSession>;
  /** Stops the looks (Ctrl-C, SIGTERM). */
  readonly signal?: AbortSignal;
}

/**
 * Looks again at the given paths (and at every entry under the `trees` roots, excludes left
 * out), one command per machine, all machines at once. A machine that does not answer (or
 * whose root is gone) is reported unreachable.
 */
export async function restatMachines(
  config: Config,
  self: string,
  sshOptions: readonly string[],
  involved: ReadonlyMap<string, Iterable<string>>,
  options: RestatOptions = {},
): Promise<Map<string, ReadonlyMap<string, Entry> | { readonly unreachable: string }>> {
  const trees = options.trees ?? new Map<string, Iterable<string>>();
  const result = new Map<string, ReadonlyMap<string, Entry> | { readonly unreachable: string }>();
  await Promise.all(
    [...new Set([...involved.keys(), ...trees.keys()])].map(async (name) => {
      const paths = involved.get(name) ?? [];
      const machine = config.machines.find((m) => m.name === name);
      if (!machine) {
        result.set(name, { unreachable: 'not in the config' });
        return;
      }
      const scan = await scanMachine(machine, options.sessions?.get(name) ?? buildScriptTarget(machine, self, sshOptions, { stallTimeout: config.stallTimeout, signal: options.signal }), {
        paths: [...paths],
        mode: 'stat',
        exclude: machineExcludes(config, machine),
        syncPaths: config.paths,
        own: config.ownPaths,
        prepareDir: options.prepareDir,
        pruneTrashBefore: options.pruneTrashBefore,
        trees: [...(trees.get(name) ?? [])],
      });
      if (!scan.ok) result.set(name, { unreachable: scan.reason });
      else if (!scan.output.rootExists) result.set(name, { unreachable: buildRootMissingReason(machine.root) });
      else result.set(name, scan.output.entries);
    }),
  );
  return result satisfies Restat;
}
