// Turn ajv's validation errors into one readable problem each, located by YAML path.
import type { ErrorObject } from 'ajv';
import type { ConfigProblem, YamlPathSegment } from './problem.js';
import { escapeControls } from '../escape.js';
import { quoted } from './quoted.js';

/** The segments of a JSON pointer (`/machines/a~1b/0`), with array indexes as numbers when the data is an array there. */
function pointerSegments(pointer: string, data: unknown): YamlPathSegment[] {
  if (pointer === '') return [];
  const out: YamlPathSegment[] = [];
  let at: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at) && /^\d+$/.test(key)) {
      out.push(Number(key));
      at = at[Number(key)];
    } else {
      out.push(key);
      at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

/** Messages for `pattern` failures, by the name of the key whose value failed. */
const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  root: 'must be an absolute path starting with "/" (it is a path on that machine: "~" is not expanded)',
  host: 'must be an ssh destination (user@host, host or an ssh-config alias): no spaces, not starting with "-"',
  paths: 'must be a relative path (relative to each machine\'s root)',
};

/** Edit distance between two short strings, a swap of neighbours counting as one edit (for "did you mean"). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** ` (did you mean "host"?)` when `key` is a likely typo of one of `known`, else ''. */
function suggestion(key: string, known: readonly string[]): string {
  let bestName: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      bestName = name;
    }
  }
  return bestName !== undefined && bestDistance <= Math.max(1, Math.floor(bestName.length / 3)) ? ` (did you mean "${bestName}"?)` : '';
}

/** The keys a schema object declares (for suggestions). */
function declaredKeys(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const properties = (schema as { properties?: unknown }).properties;
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
}

/** A value from the schema, shown the way it would be written in YAML. */
function showValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The last key name on a path, skipping indexes (`paths[2]` → `paths`). */
function lastKey(path: readonly YamlPathSegment[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i];
    if (typeof segment === 'string') return segment;
  }
  return undefined;
}

/** One problem for one ajv error, or undefined for errors that only echo another (`if`, inner `propertyNames` errors). */
function problemFor(error: ErrorObject, data: unknown): ConfigProblem | undefined {
  const path = pointerSegments(error.instancePath, data);
  const params = error.params as Record<string, unknown>;
  // ajv reports a failed propertyNames twice: once per inner keyword (tagged with propertyName) and once as a whole.
  if ((error as ErrorObject & { propertyName?: string }).propertyName !== undefined) return undefined;
  switch (error.keyword) {
    case 'if':
      return undefined;
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return { path: [...path, key], atKey: true, message: `unknown key ${quoted(key)}${suggestion(key, declaredKeys(error.parentSchema))}` };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const what = lastKey(path) === 'machines' ? 'machine name' : 'key';
      return {
        path: [...path, name],
        atKey: true,
        message: `invalid ${what} ${quoted(name)}: use letters, digits, ".", "_" and "-", starting with a letter or digit`,
      };
    }
    case 'required':
      // Point at the key of the incomplete mapping (`spencer:`), not at its first entry.
      return { path, atKey: true, message: `missing required key ${quoted(String(params.missingProperty))}` };
    case 'not':
      // The only `not` in the schema: a local machine declaring a host.
      if (error.schemaPath.endsWith('/then/not')) return { path: [...path, 'host'], atKey: true, message: 'not allowed with transport: local (a local machine has no ssh host)' };
      return { path, message: error.message ?? 'is not allowed' };
    case 'type': {
      const types = Array.isArray(params.type) ? (params.type as string[]) : [String(params.type)];
      return { path, message: `must be ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(showValue);
      return { path, message: allowed.length === 1 ? `must be ${allowed[0]}` : `must be one of ${allowed.join(', ')}` };
    }
    case 'const':
      return { path, message: `must be ${showValue(params.allowedValue)}` };
    case 'minimum':
      return { path, message: `must be at least ${String(params.limit)}` };
    case 'maximum':
      return { path, message: `must be at most ${String(params.limit)}` };
    case 'exclusiveMinimum':
      return { path, message: `must be more than ${String(params.limit)}` };
    case 'exclusiveMaximum':
      return { path, message: `must be less than ${String(params.limit)}` };
    case 'minItems':
      return { path, message: params.limit === 1 ? 'must list at least one entry' : `must list at least ${String(params.limit)} entries` };
    case 'minProperties':
      return { path, message: lastKey(path) === 'machines' ? 'must declare at least one machine' : `must have at least ${String(params.limit)} keys` };
    case 'minLength':
      return { path, message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters` };
    case 'pattern': {
      const key = lastKey(path);
      return { path, message: (key !== undefined ? PATTERN_MESSAGES[key] : undefined) ?? `must match ${String(params.pattern)}` };
    }
    case 'uniqueItems': {
      // ajv names the two equal items i and j in no promised order; report the later one.
      const [first, later] = [Number(params.i), Number(params.j)].sort((a, b) => a - b);
      return { path: [...path, later], message: `repeats item [${first}]` };
    }
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

/** One problem per distinct ajv error (ajv must run with `verbose: true` for key suggestions). */
export function buildSchemaProblems(errors: readonly ErrorObject[], data: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const error of errors) {
    const problem = problemFor(error, data);
    if (problem) out.push(problem);
  }
  return out;
}
