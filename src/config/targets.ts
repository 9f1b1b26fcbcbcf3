// Narrow a run to the sync paths named on the command line (like terraform -target).
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import type { Config } from '../types.js';
import { collapseNested, isUnder } from './paths.js';
import { escapeControls } from '../escape.js';

/**
 * The sync paths a run covers: all of `config.paths` without arguments; otherwise, for each
 * argument (resolved against `cwd`, inside `selfRoot`), the sub-path it names inside an entry,
 * or the entries inside it. Sorted, de-duplicated, nested paths folded into their ancestor.
 */
export function resolveTargets(config: Config, selfRoot: string, cwd: string, args: readonly string[]): string[] {
  if (args.length === 0) return collapseNested(config.paths);
  const root = resolve(selfRoot);
  const out: string[] = [];
  for (const arg of args) {
    const rel = relative(root, resolve(cwd, arg));
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new UsageError(`${escapeControls(arg)} is outside self's root ${escapeControls(root)}`);
    }
    const path = rel.split(sep).join('/');
    if (path === '') {
      out.push(...config.paths);
      continue;
    }
    const containing = config.paths.find((entry) => isUnder(path, entry));
    if (containing !== undefined) {
      out.push(path);
      continue;
    }
    const inside = config.paths.filter((entry) => isUnder(entry, path));
    if (inside.length === 0) {
      throw new UsageError(`${escapeControls(arg)} is not under any entry of paths: in ${escapeControls(config.file)}`);
    }
    out.push(...inside);
  }
  return collapseNested(out);
}
