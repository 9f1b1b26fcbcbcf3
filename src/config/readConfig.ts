// Find and read blat.yaml: parse, validate, report every problem with file:line:col, return a frozen Config.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { BlatError, ConfigError } from '../errors.js';
import type { Config } from '../types.js';
import { buildConfig } from './buildConfig.js';
import type { RawConfig } from './buildConfig.js';
import { checkConfigSemantics, checkOwnedSyncPaths } from './checkConfig.js';
import { validateConfig } from './configSchema.js';
import { formatYamlPath } from './problem.js';
import type { ConfigProblem } from './problem.js';
import { escapeControls } from '../escape.js';
import { buildSchemaProblems } from './schemaProblems.js';
import { locateYamlPath } from './yamlLocate.js';

/**
 * Absolute path of the config file: the `-c/--config` flag, else `$BLAT_CONFIG`, else the
 * `blat.yaml` of the current folder or of the nearest parent folder holding one (as git finds
 * its repository), else `./blat.yaml` (whose reading then fails with a clear line).
 * `isFile` tells whether a path is a file (the default looks at the filesystem).
 */
export function findConfigPath(opts: { flag?: string; env: NodeJS.ProcessEnv; cwd: string; isFile?: (path: string) => boolean }): string {
  const named = opts.flag !== undefined && opts.flag !== '' ? opts.flag : opts.env.BLAT_CONFIG !== undefined && opts.env.BLAT_CONFIG !== '' ? opts.env.BLAT_CONFIG : undefined;
  if (named === undefined) return findNearestConfig(resolve(opts.cwd), opts.isFile ?? isFileOnDisk);
  const chosen = named;
  const home = opts.env.HOME;
  if (home !== undefined && home !== '' && (chosen === '~' || chosen.startsWith('~/'))) return join(home, chosen.slice(1));
  return isAbsolute(chosen) ? resolve(chosen) : resolve(opts.cwd, chosen);
}

/** `DIR/blat.yaml` of `dir` or its nearest parent holding one; `dir/blat.yaml` when none does. */
function findNearestConfig(dir: string, isFile: (path: string) => boolean): string {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'blat.yaml');
    if (isFile(candidate)) return candidate;
    if (dirname(at) === at) return join(dir, 'blat.yaml');
  }
}

function isFileOnDisk(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Words for the usual reasons a file cannot be read. */
const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file (create one, or pass -c FILE or set $BLAT_CONFIG)',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

/** The text of `file`, or a one-line BlatError saying why it cannot be read. */
async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = (typeof code === 'string' ? READ_FAILURES[code] ?? code : undefined) ?? (error instanceof Error ? error.message : String(error));
    throw new BlatError(`blat.yaml: cannot read ${escapeControls(file)}: ${why}`, { cause: error });
  }
}

/** `FILE:LINE:COL: yaml.path: message` for each problem, sorted by position, duplicates dropped. */
function formatProblems(file: string, doc: Document, counter: LineCounter, problems: readonly ConfigProblem[]): string[] {
  const located = problems.map((problem) => ({ ...locateYamlPath(doc, counter, problem.path, problem.atKey), problem }));
  located.sort((a, b) => a.line - b.line || a.col - b.col);
  const lines = located.map(({ line, col, problem }) => `${escapeControls(file)}:${line}:${col}: ${formatYamlPath(problem.path)}: ${escapeControls(problem.message)}`);
  return [...new Set(lines)];
}

/** Names of the machines in the order the file declares them (JS objects put integer-like keys first). */
function machineOrder(doc: Document): string[] {
  const machines = doc.get('machines', true);
  if (!isMap(machines)) return [];
  return machines.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key)));
}

/**
 * Reads, validates and returns the config at `file` (absolute or relative to the process cwd).
 * Throws a BlatError when it cannot be read and a ConfigError listing every problem when it is invalid.
 */
export async function readConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const path = resolve(file);
  const text = await readConfigText(path);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((error) => {
      const { line, col } = counter.linePos(error.pos[0]);
      const message = error.message.split('\n')[0];
      return `${escapeControls(path)}:${Math.max(line, 1)}:${line === 0 ? col + 1 : col}: syntax error: ${escapeControls(message)}`;
    });
    throw new ConfigError([...new Set(lines)]);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // e.g. an alias expanding past yaml's maxAliasCount.
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError([`${escapeControls(path)}:1:1: (top level): ${escapeControls(message)}`]);
  }
  const schemaProblems = validateConfig(data) ? [] : buildSchemaProblems(validateConfig.errors ?? [], data);
  // A path the schema already complained about needs no second message.
  const reported = new Set(schemaProblems.map((p) => formatYamlPath(p.path)));
  const semanticProblems = checkConfigSemantics(data).filter((p) => !reported.has(formatYamlPath(p.path)));
  for (const p of semanticProblems) reported.add(formatYamlPath(p.path));
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  // A well-shaped document is assembled before its problems are reported: the check of blat's own
  // folders needs the state folder resolved (relative to this file) and the roots.
  const config = schemaProblems.length === 0 ? buildConfig(data as RawConfig, path, machineOrder(doc), home) : undefined;
  const ownedProblems = config ? checkOwnedSyncPaths((data as RawConfig).paths, config).filter((p) => !reported.has(formatYamlPath(p.path))) : [];
  const problems = [...schemaProblems, ...semanticProblems, ...ownedProblems];
  if (problems.length > 0 || config === undefined) throw new ConfigError(formatProblems(path, doc, counter, problems));
  return config;
}
