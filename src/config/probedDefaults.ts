// The defaults a root's probe sets for its machine, under what the config declares.
import type { Config, MachineConfig, MachineStateRecord } from '../types.js';

/**
 * The config with each machine's undeclared `modifyWindow` and `perms` taken from the probe of
 * its root kept in `states` (pure): a window the filesystem's mtime precision calls for (FAT: 2 s;
 * never below the top-level modifyWindow), `perms: ignore` where chmod does not work (with the
 * modes its filesystem shows, `fixedModes`), whether a renamed file keeps its mtime there, whether it holds symlinks, the names it refuses, and how it folds names. A declared value wins; a probe of another root (the
 * root changed since) counts for nothing. The digest stays the declared config's.
 */
export function applyProbedDefaults(config: Config, states: readonly MachineStateRecord[]): Config {
  let changed = false;
  const machines = config.machines.map((m): MachineConfig => {
    const probe = states.find((s) => s.name === m.name)?.probe;
    if (probe === undefined || probe.root !== m.root) return m;
    const window = probe.mtimeWindow !== undefined && probe.mtimeWindow > config.modifyWindow ? probe.mtimeWindow : undefined;
    const out: MachineConfig = {
      ...m,
      ...(m.modifyWindow === undefined && window !== undefined ? { modifyWindow: window } : {}),
      ...(m.perms === undefined && !probe.chmod ? { perms: 'ignore' as const } : {}),
      // Declared or probed, a machine that ignores modes where chmod does not work is asked for the modes it shows.
      ...((m.perms === 'ignore' || (m.perms === undefined && !probe.chmod)) && probe.fixedModes ? { fixedModes: probe.fixedModes } : {}),
      ...(probe.renameKeepsMtime === false ? { renameKeepsMtime: false as const } : {}),
      ...(probe.symlinks === false ? { symlinks: false as const } : {}),
      ...(probe.refusedNames !== undefined ? { refusedNames: probe.refusedNames } : {}),
      ...(probe.caseInsensitive || probe.normalizes ? { folding: { ...(probe.caseInsensitive ? { case: true } : {}), ...(probe.normalizes ? { unicode: true } : {}) } } : {}),
    };
    if (out.modifyWindow === m.modifyWindow && out.perms === m.perms && out.fixedModes === m.fixedModes && out.renameKeepsMtime === m.renameKeepsMtime && out.folding === m.folding && out.symlinks === m.symlinks && out.refusedNames === m.refusedNames) return m;
    changed = true;
    return Object.freeze(out);
  });
  return changed ? Object.freeze({ ...config, machines: Object.freeze(machines) }) : config;
}
