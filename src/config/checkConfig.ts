// Checks on a parsed blat.yaml that JSON Schema cannot express.
import type { Config } from '../types.js';
import { checkExcludePattern } from './excludes.js';
import { findStateDirIn, ROOT_OWN_NAMES } from './ownPaths.js';
import { isUnder, normaliseSyncPath } from './paths.js';
import type { ConfigProblem } from './problem.js';
import { escapeControls } from '../escape.js';
import { quoted } from './quoted.js';
import { CONTROLLER } from './self.js';

/** `value` as a plain object, or undefined. */
function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The sync path `blat import` writes when it cannot guess one (src/state/importMachineTxt.ts). */
export const IMPORT_PLACEHOLDER = 'CHANGE-ME';

/** Problems with `paths:` entries: the import placeholder, invalid segments, duplicates, one entry inside another. */
function checkPaths(paths: unknown): ConfigProblem[] {
  if (!Array.isArray(paths)) return [];
  const problems: ConfigProblem[] = [];
  const seen: { index: number; raw: string; path: string }[] = [];
  paths.forEach((raw: unknown, index) => {
    // Wrong types, empty and absolute entries are the schema's to report.
    if (typeof raw !== 'string' || raw === '' || raw.startsWith('/')) return;
    const path = normaliseSyncPath(raw);
    if (path === null) {
      problems.push({ path: ['paths', index], message: `${quoted(raw)} is not a valid sync path: "." and ".." segments are not allowed` });
      return;
    }
    if (path === IMPORT_PLACEHOLDER) {
      problems.push({ path: ['paths', index], message: `${quoted(raw)} is the placeholder blat import writes: list the files and folders to keep identical` });
      return;
    }
    const same = seen.find((other) => other.path === path);
    const outer = seen.find((other) => isUnder(path, other.path));
    const inner = seen.find((other) => isUnder(other.path, path));
    if (same) {
      problems.push({ path: ['paths', index], message: `${quoted(raw)} repeats paths[${same.index}] (${quoted(same.raw)})` });
      return;
    }
    if (outer) problems.push({ path: ['paths', index], message: `${quoted(raw)} lies inside paths[${outer.index}] (${quoted(outer.raw)}); list only one of them` });
    else if (inner) problems.push({ path: ['paths', index], message: `${quoted(raw)} contains paths[${inner.index}] (${quoted(inner.raw)}); list only one of them` });
    seen.push({ index, raw, path });
  });
  return problems;
}

/** Problems with aliases: one used by two machines, or one that is another machine's name. */
function checkAliases(machines: Record<string, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const owner = new Map<string, string>();
  const names = Object.keys(machines);
  for (const [name, value] of Object.entries(machines)) {
    const aliases = asRecord(value)?.aliases;
    if (!Array.isArray(aliases)) continue;
    aliases.forEach((alias: unknown, index) => {
      if (typeof alias !== 'string' || alias === '') return;
      const path = ['machines', name, 'aliases', index];
      const key = alias.toLowerCase();
      const other = owner.get(key);
      if (other !== undefined && other !== name) {
        problems.push({ path, message: `alias ${quoted(alias)} is also an alias of machine ${quoted(other)}` });
      } else if (names.some((n) => n !== name && n.toLowerCase() === key)) {
        problems.push({ path, message: `alias ${quoted(alias)} is the name of another machine` });
      }
      if (other === undefined) owner.set(key, name);
    });
  }
  return problems;
}

/** A problem when a local path uses `~user` (only `~` and `~/…` are understood). */
function checkTilde(value: unknown, path: readonly string[]): ConfigProblem[] {
  if (typeof value === 'string' && /^~[^/]/.test(value)) {
    return [{ path, message: `${quoted(value)}: "~user" is not supported; use "~/…", an absolute path or a path relative to this file` }];
  }
  return [];
}

/**
 * Problems with `paths:` entries that are, or lie inside, one of blat's own folders (config.ownPaths,
 * or the state folder when it is a machine's root): blat never syncs those. `rawPaths` is `paths:`
 * as written (its indexes name the entries).
 */
export function checkOwnedSyncPaths(rawPaths: unknown, config: Config): ConfigProblem[] {
  if (!Array.isArray(rawPaths)) return [];
  const stateIsRoot = config.machines.find((m) => findStateDirIn(m.root, config.stateDir) === '');
  const problems: ConfigProblem[] = [];
  rawPaths.forEach((raw: unknown, index) => {
    const path = typeof raw === 'string' ? normaliseSyncPath(raw) : null;
    if (path === null) return;
    const own = config.ownPaths.find((o) => isUnder(path, o));
    if (stateIsRoot !== undefined) {
      problems.push({ path: ['paths', index], message: `${quoted(raw as string)} lies inside blat's state folder (stateDir is the root of machine ${quoted(stateIsRoot.name)}); blat never syncs its own files: move stateDir out of the root` });
    } else if (own !== undefined) {
      const what = ROOT_OWN_NAMES.includes(own) ? `blat's own folder ${quoted(own)}` : `blat's state folder (stateDir, ${quoted(own)} in a root)`;
      const how = path === own ? 'is' : 'lies inside';
      problems.push({ path: ['paths', index], message: `${quoted(raw as string)} ${how} ${what}; blat never syncs its own files` });
    }
  });
  return problems;
}

/** Problems with the exclude patterns at `where` (`exclude:` or a machine's): unreadable ones, and those that would exclude a whole sync path. */
function checkExcludes(patterns: unknown, paths: unknown, where: readonly (string | number)[]): ConfigProblem[] {
  if (!Array.isArray(patterns)) return [];
  const syncPaths = Array.isArray(paths) ? paths.flatMap((p: unknown) => (typeof p === 'string' && !p.startsWith('/') ? [normaliseSyncPath(p) ?? []].flat() : [])) : [];
  const problems: ConfigProblem[] = [];
  patterns.forEach((raw: unknown, index) => {
    if (typeof raw !== 'string' || raw === '') return;
    const why = checkExcludePattern(raw, syncPaths);
    if (why !== undefined) problems.push({ path: [...where, index], message: escapeControls(why) });
  });
  return problems;
}

/** Every semantic problem in the parsed document `data` (whatever its shape; wrong shapes are the schema's to report). */
export function checkConfigSemantics(data: unknown): ConfigProblem[] {
  const top = asRecord(data);
  if (!top) return [];
  const problems: ConfigProblem[] = [];
  const machines = asRecord(top.machines);
  if (machines && Object.hasOwn(machines, CONTROLLER)) {
    problems.push({ path: ['machines', CONTROLLER], message: `a machine cannot be called ${quoted(CONTROLLER)}: "self: ${CONTROLLER}" (or --self ${CONTROLLER}) means blat runs on no machine of the set; rename it` });
  }
  if (typeof top.self === 'string' && top.self !== '' && top.self !== CONTROLLER && machines && !Object.hasOwn(machines, top.self)) {
    const names = Object.keys(machines).map(escapeControls).join(', ');
    problems.push({ path: ['self'], message: `${quoted(top.self)} is not a machine (machines: ${names})` });
  }
  problems.push(...checkPaths(top.paths));
  problems.push(...checkExcludes(top.exclude, top.paths, ['exclude']));
  for (const [name, m] of Object.entries(machines ?? {})) problems.push(...checkExcludes(asRecord(m)?.exclude, top.paths, ['machines', name, 'exclude']));
  if (machines) problems.push(...checkAliases(machines));
  problems.push(...checkTilde(top.stateDir, ['stateDir']));
  problems.push(...checkTilde(asRecord(top.ssh)?.configFile, ['ssh', 'configFile']));
  return problems;
}
