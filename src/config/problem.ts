// One problem found in a config file, before it is placed at a line and column.
import { escapeControls } from '../escape.js';
import { quoted } from './quoted.js';

/** A segment of a YAML path: a map key or a sequence index. */
export type YamlPathSegment = string | number;

/** One problem in a config document: where (YAML path) and what (message). */
export interface ConfigProblem {
  /** Path of the offending node from the document root; [] is the whole document. */
  readonly path: readonly YamlPathSegment[];
  /** Point at the key of the last segment rather than its value (unknown keys, bad names). */
  readonly atKey?: boolean;
  readonly message: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The path as people write it: `machines.dimboola.os`, `paths[2]`, `machines["a.b"].host`; `(top level)` for []. */
export function formatYamlPath(path: readonly YamlPathSegment[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${quoted(segment)}]`;
  }
  return out;
}
