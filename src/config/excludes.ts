// Exclude patterns as rsync reads them (rsync(1), "PATTERN MATCHING RULES"), with each sync path as
// the transfer root: one parse, then a matcher for the planner, a find(1) test for the scan, and
// rsync rules for transfers that start elsewhere.
//
// - A pattern with no "/" (a trailing one aside) and no "**" matches the last name of a path, at any depth.
// - Otherwise it matches the path from its end, starting at a folder boundary ("build/cache"
//   excludes docs/proj/build/cache); with a leading "/" it matches the whole path from the sync path.
// - A trailing "/" matches folders only; a trailing "/***" is the folder and all it holds.
// - "*" is any run of characters but "/", "**" any run at all, "?" one character but "/",
//   "[...]" one character of a class (never "/"); a backslash escapes a wildcard when the pattern has one.
// - What a folder matches, everything under it goes with it.

import { isUnder } from './paths.js';

/** One exclude pattern, parsed. */
export interface ExcludePattern {
  /** As written. */
  readonly raw: string;
  /** Leading "/": matched against the whole path from the sync path. */
  readonly anchored: boolean;
  /** Trailing "/" (or "/***"): folders only. */
  readonly dirOnly: boolean;
  /** Matched against the last name only (no inner "/", no "**"). */
  readonly nameOnly: boolean;
  /** Has a wildcard (`*`, `?`, `[`): otherwise it is matched literally, backslashes included. */
  readonly wild: boolean;
  /** The pattern without its anchor and trailing slashes. */
  readonly body: string;
}

/** `raw` parsed as rsync parses an --exclude pattern. */
export function parseExcludePattern(raw: string): ExcludePattern {
  let body = raw;
  let dirOnly = false;
  if (body.endsWith('/***')) {
    body = body.slice(0, -4);
    dirOnly = true;
  }
  if (/\/+$/.test(body)) {
    body = body.replace(/\/+$/, '');
    dirOnly = true;
  }
  const anchored = body.startsWith('/');
  if (anchored) body = body.replace(/^\/+/, '');
  const wild = /[*?[]/.test(body);
  return { raw, anchored, dirOnly, nameOnly: !anchored && !body.includes('/') && !body.includes('**'), wild, body };
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  xdigit: '0-9A-Fa-f',
  punct: '!-.:-@\\[-`{-~',
  cntrl: '\\x00-\\x1f\\x7f',
  graph: '!-~',
  print: ' -~',
};

/** Characters special in a regular expression (JS and POSIX ERE) outside brackets. */
const REGEX_SPECIAL = /[.[\](){}*+?|^$\\]/;

function escapeRegexChar(c: string): string {
  return REGEX_SPECIAL.test(c) ? `\\${c}` : c;
}

/**
 * The regular expression (no anchors) matching what the glob `body` matches. `ere`: POSIX ERE for
 * find -regex (character classes kept as [:name:]); else a JS RegExp source. null when the
 * pattern cannot be expressed (a malformed class).
 */
export function buildGlobRegex(body: string, wild: boolean, ere: boolean): string | null {
  if (!wild) return [...body].map(escapeRegexChar).join('');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      out += escapeRegexChar(body[++i]);
    } else if (c === '*') {
      if (body[i + 1] === '*') {
        while (body[i + 1] === '*') i++;
        out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const cls = buildClass(body, i, ere);
      if (cls === null) return null;
      out += cls.regex;
      i = cls.end;
    } else out += escapeRegexChar(c);
  }
  return out;
}

/** The class opening at body[start] ("["), as a bracket expression that never matches "/"; null if malformed. */
function buildClass(body: string, start: number, ere: boolean): { regex: string; end: number } | null {
  let i = start + 1;
  let negated = false;
  if (body[i] === '!' || body[i] === '^') {
    negated = true;
    i++;
  }
  /** Single characters, ranges [lo, hi] and [:name:] classes. */
  const chars: string[] = [];
  const ranges: [string, string][] = [];
  const named: string[] = [];
  let end = -1;
  for (let first = true; i < body.length; i++, first = false) {
    let c = body[i];
    if (c === ']' && !first) {
      end = i;
      break;
    }
    if (c === '[' && body[i + 1] === ':') {
      const close = body.indexOf(':]', i + 2);
      const name = close === -1 ? '' : body.slice(i + 2, close);
      if (!(name in POSIX_CLASSES)) return null;
      named.push(name);
      i = close + 1;
      continue;
    }
    if (c === '\\') {
      // rsync: a backslash in a class escapes the next character.
      if (i + 1 >= body.length) return null;
      c = body[++i];
    }
    if (body[i + 1] === '-' && body[i + 2] !== undefined && body[i + 2] !== ']') {
      let hi = body[i + 2];
      i += 2;
      if (hi === '\\') {
        if (i + 1 >= body.length) return null;
        hi = body[++i];
      }
      // A range that spans "/" would match it; rsync's never does.
      if (c <= '/' && hi >= '/') return null;
      ranges.push([c, hi]);
      continue;
    }
    if (c !== '/') chars.push(c);
  }
  if (end === -1) return null;
  if (!negated && chars.length + ranges.length + named.length === 0) return null; // only "/": matches nothing
  if (!ere) {
    const esc = (ch: string) => (/[\]\\^-]/.test(ch) ? `\\${ch}` : ch);
    const items = chars.map(esc).join('') + ranges.map(([lo, hi]) => `${esc(lo)}-${esc(hi)}`).join('') + named.map((n) => POSIX_CLASSES[n]).join('');
    return { regex: `[${negated ? '^/' : ''}${items}]`, end };
  }
  // ERE: "]" is literal only first, "-" only last; no escapes inside brackets.
  if (ranges.some(([lo, hi]) => /[\]\-[]/.test(lo + hi))) return null;
  const plain = chars.filter((ch) => ch !== ']' && ch !== '-' && ch !== '[');
  const items =
    (chars.includes(']') ? ']' : '') + (negated ? '/' : '') + plain.join('') + (chars.includes('[') ? '[' : '') +
    ranges.map(([lo, hi]) => `${lo}-${hi}`).join('') + named.map((n) => `[:${n}:]`).join('') + (chars.includes('-') ? '-' : '');
  return { regex: `[${negated ? '^' : ''}${items}]`, end };
}

/** A compiled set of patterns: which paths under the sync paths they exclude. */
export interface ExcludeMatcher {
  /** True when `path` (root-relative, under a sync path) or a folder above it within its sync path is excluded. */
  excludes(path: string, isDir: boolean): boolean;
}

/** The sync path `path` lies in (equal or under), or undefined. */
function syncPathOf(path: string, syncPaths: readonly string[]): string | undefined {
  return syncPaths.find((s) => isUnder(path, s));
}

/**
 * `patterns` compiled once into a matcher for paths under `syncPaths` (each sync path is the root
 * the anchored patterns are matched from; a sync path itself is never matched). A pattern that
 * cannot be expressed (a malformed class) matches nothing (the config check reports it).
 */
export function compileExcludes(patterns: readonly string[], syncPaths: readonly string[]): ExcludeMatcher {
  const any: string[] = [];
  const dirs: string[] = [];
  for (const p of patterns.map(parseExcludePattern)) {
    const re = buildGlobRegex(p.body, p.wild, false);
    if (re === null) continue;
    const full = p.anchored ? re : `(?:.*/)?${re}`;
    (p.dirOnly ? dirs : any).push(full);
  }
  const reAny = any.length ? new RegExp(`^(?:${any.join('|')})$`, 's') : null;
  const reDir = dirs.length ? new RegExp(`^(?:${dirs.join('|')})$`, 's') : null;
  const test = (rel: string, isDir: boolean) => (reAny !== null && reAny.test(rel)) || (isDir && reDir !== null && reDir.test(rel));
  return {
    excludes(path, isDir) {
      if (reAny === null && reDir === null) return false;
      const s = syncPathOf(path, syncPaths);
      if (s === undefined || path === s) return false;
      const rel = path.slice(s.length + 1);
      for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) {
        if (test(rel.slice(0, i), true)) return true;
      }
      return test(rel, isDir);
    },
  };
}

/** `s` with find's glob characters escaped (for -name: literal). */
function escapeFindGlob(s: string): string {
  return s.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** find(1) tests that are true exactly of what the patterns exclude under the sync paths. */
export interface FindExcludeTests {
  /** -name globs (slash-free patterns): [glob, folders only]. */
  readonly names: readonly (readonly [string, boolean])[];
  /** POSIX ERE for -regex on the whole "./path" (patterns with "/" or "**"), any type; and folders only. */
  readonly regex?: string;
  readonly dirRegex?: string;
}

/**
 * find tests for `patterns` under `syncPaths`: -name for slash-free patterns (find's -name is
 * rsync's match of the last name), one POSIX ERE per kind for the rest, anchored at each sync path
 * (find -regex matches the whole "./path"; find's -path would let "*" cross "/").
 */
export function buildFindExcludeTests(patterns: readonly string[], syncPaths: readonly string[]): FindExcludeTests {
  const names: [string, boolean][] = [];
  const any: string[] = [];
  const dirs: string[] = [];
  for (const p of patterns.map(parseExcludePattern)) {
    if (p.nameOnly) {
      // rsync reads a pattern with no wildcard literally; find -name would take its backslashes as escapes.
      names.push([p.wild ? p.body : escapeFindGlob(p.body), p.dirOnly]);
      continue;
    }
    const re = buildGlobRegex(p.body, p.wild, true);
    if (re === null) continue;
    (p.dirOnly ? dirs : any).push(p.anchored ? re : `(.*/)?${re}`);
  }
  const roots = syncPaths.map((s) => [...s].map(escapeRegexChar).join(''));
  const under = `\\./(${roots.join('|')})/`;
  return {
    names,
    ...(any.length && roots.length ? { regex: `${under}(${any.join('|')})` } : {}),
    ...(dirs.length && roots.length ? { dirRegex: `${under}(${dirs.join('|')})` } : {}),
  };
}

/** `s` escaped for an rsync pattern that has wildcards (backslash and wildcard characters). */
function escapeRsyncWild(s: string): string {
  return s.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * rsync --exclude rules meaning `patterns` (with the sync paths as roots) for a transfer whose
 * root is the machine's root and whose files all lie under `syncPaths`. Slash-free patterns are
 * the same anywhere; the others are anchored at each sync path.
 */
export function buildRsyncExcludeRules(patterns: readonly string[], syncPaths: readonly string[]): string[] {
  const rules: string[] = [];
  for (const p of patterns.map(parseExcludePattern)) {
    if (p.nameOnly) {
      rules.push(p.raw);
      continue;
    }
    const tail = p.dirOnly ? '/' : '';
    for (const s of syncPaths) {
      const wild = p.wild || /[*?[]/.test(s);
      const root = wild ? escapeRsyncWild(s) : s;
      // A literal pattern is matched literally: its backslashes are its own, so it stays literal.
      const body = wild && !p.wild ? escapeRsyncWild(p.body) : p.body;
      rules.push(`/${root}/${body}${tail}`);
      if (!p.anchored) rules.push(`/${root}/**/${body}${tail}`);
    }
  }
  return rules;
}

/** Whether every pattern is matched by last name alone (then it means the same whatever the transfer's root). */
export function areNameOnly(patterns: readonly string[]): boolean {
  return patterns.every((p) => parseExcludePattern(p).nameOnly);
}

/**
 * What is wrong with exclude pattern `raw` given the sync paths, or undefined: one that cannot be
 * read, one that excludes all of a sync path (`/`, `/*`, `*`…), or one that matches a sync path
 * or a folder above it (rsync, from the root, would exclude all of it).
 */
export function checkExcludePattern(raw: string, syncPaths: readonly string[]): string | undefined {
  const p = parseExcludePattern(raw);
  if (p.body === '') return `${JSON.stringify(raw)} would exclude everything`;
  const re = buildGlobRegex(p.body, p.wild, false);
  if (re === null || buildGlobRegex(p.body, p.wild, true) === null) {
    return `${JSON.stringify(raw)}: a character class blat cannot read (a range across "/", an unknown [:class:], no closing "]")`;
  }
  if (p.anchored) {
    // Matched from inside each sync path: never the sync path itself, but "/*" is all it holds.
    return /^\*+$/.test(p.body) ? `${JSON.stringify(raw)} would exclude everything under every sync path` : undefined;
  }
  const matcher = new RegExp(`^(?:.*/)?${re}$`, 's');
  for (const s of syncPaths) {
    const parts = s.split('/');
    for (let k = 1; k <= parts.length; k++) {
      const above = parts.slice(0, k).join('/');
      if (matcher.test(above)) {
        return `${JSON.stringify(raw)} matches the sync path ${JSON.stringify(s)}${k < parts.length ? ` (its folder ${JSON.stringify(above)})` : ''}: it would exclude all of it`;
      }
    }
  }
  return undefined;
}

/** The patterns a machine's scan and transfers leave out: the config's, then its own. */
export function machineExcludes(config: { readonly exclude: readonly string[] }, machine: { readonly exclude?: readonly string[] }): readonly string[] {
  return machine.exclude === undefined ? config.exclude : [...config.exclude, ...machine.exclude];
}

/**
 * (machine, path, is a folder) → whether that machine's own patterns (machines.NAME.exclude) leave
 * the path out there; undefined when no machine has any (the planner then asks nothing).
 */
export function buildMachineExcludes(config: {
  readonly paths: readonly string[];
  readonly machines: readonly { readonly name: string; readonly exclude?: readonly string[] }[];
}): ((machine: string, path: string, isDir: boolean) => boolean) | undefined {
  const matchers = new Map<string, ExcludeMatcher>();
  for (const m of config.machines) if (m.exclude !== undefined && m.exclude.length > 0) matchers.set(m.name, compileExcludes(m.exclude, config.paths));
  if (matchers.size === 0) return undefined;
  return (machine, path, isDir) => matchers.get(machine)?.excludes(path, isDir) ?? false;
}
