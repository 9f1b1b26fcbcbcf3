// Turn the old blat.py machine table (machine.txt) into a commented blat.yaml.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Document, isMap, isScalar } from 'yaml';
import type { Scalar } from 'yaml';
import { CONFIG_SCHEMA_PATH } from '../config/configSchema.js';
import { IMPORT_PLACEHOLDER } from '../config/checkConfig.js';
import { normaliseSyncPath } from '../config/paths.js';
import { escapeControls } from '../escape.js';
import { quoted } from '../config/quoted.js';
import { BlatError } from '../errors.js';
import type { OsKind } from '../types.js';

/** One machine line of machine.txt: `machine,IPaddress,OS,state[,[(alias,aliasIP),...]]`. */
interface MachineTxtEntry {
  readonly line: number;
  readonly name: string;
  readonly ip: string;
  readonly os?: OsKind;
  readonly observed: string;
  readonly outOfUse: boolean;
  readonly aliases: readonly string[];
}

const LINE = /^([^,]*),([^,]*),([^,]*),([^,]*)(?:,\[([^\]]*)\])?$/;
const ALIAS = /^\(([^,()]*),([^,()]*)\)$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const STATES = new Set(['online', 'offline', 'unknown', 'outofuse', '']);
const FORMAT = 'expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]]';

/** The alias names in the inside of `[(a,ip),(b,ip)]`, or a reason it cannot be read. */
function parseAliases(inner: string): string[] | string {
  const text = inner.trim();
  if (text === '') return [];
  const names: string[] = [];
  // Split between `)` and `(`: the pairs themselves contain commas.
  for (const part of text.split(/(?<=\))\s*,\s*(?=\()/)) {
    const match = ALIAS.exec(part.trim());
    if (!match) return `cannot read alias ${quoted(part)}`;
    const name = match[1].trim();
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

/** The OS word of machine.txt as blat knows it (`Linux` → linux, `Darwin` → darwin), else undefined. */
function osOf(word: string): OsKind | undefined {
  const lower = word.trim().toLowerCase();
  return lower === 'linux' || lower === 'darwin' ? lower : undefined;
}

/** Every machine line of `text`, and one `FILE:LINE: cannot parse machine entry: …` problem per bad line. */
function parseMachineTxt(text: string, fileName: string): { entries: MachineTxtEntry[]; problems: string[]; otherOs: Map<number, string> } {
  const entries: MachineTxtEntry[] = [];
  const problems: string[] = [];
  /** line → the OS word of a row whose OS blat has no scan for. */
  const otherOs = new Map<number, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) return;
    const why = readEntry(entry, line, entries);
    if (typeof why === 'string') problems.push(`${escapeControls(fileName)}:${line}: cannot parse machine entry: ${why}`);
    else {
      entries.push(why.entry);
      if (why.otherOs !== undefined) otherOs.set(line, why.otherOs);
    }
  });
  return { entries, problems, otherOs };
}

/** One machine line read, or why it cannot be (`earlier`: the entries of the lines before it). */
function readEntry(entry: string, line: number, earlier: readonly MachineTxtEntry[]): { entry: MachineTxtEntry; otherOs?: string } | string {
  const match = LINE.exec(entry);
  if (!match) return `${quoted(entry)} (${FORMAT})`;
  const [, machine, ip, osWord, state, aliasText] = match;
  const name = machine.trim() !== '' ? machine.trim() : ip.trim();
  if (name === '') return `${quoted(entry)} has neither a machine name nor an IP address`;
  if (!NAME.test(name)) return `machine name ${quoted(name)} must be letters, digits, ".", "_" and "-", starting with a letter or digit`;
  const observed = state.trim();
  if (!STATES.has(observed)) return `unknown state ${quoted(observed)} (expected online, offline, unknown or outofuse)`;
  const aliases = aliasText === undefined ? [] : parseAliases(aliasText);
  if (typeof aliases === 'string') return `${aliases} (${FORMAT})`;
  const before = earlier.find((e) => e.name === name);
  if (before) return `machine ${quoted(name)} is already listed on line ${before.line}`;
  const os = osOf(osWord);
  const parsed: MachineTxtEntry = { line, name, ip: ip.trim(), ...(os ? { os } : {}), observed, outOfUse: observed === 'outofuse', aliases };
  return os === undefined && osWord.trim() !== '' ? { entry: parsed, otherOs: osWord.trim() } : { entry: parsed };
}

/**
 * Each machine's aliases, with those that name another machine, or that an earlier machine
 * already claimed, left out (blat.yaml wants each name once) and said in `dropped`.
 */
function uniqueAliases(entries: readonly MachineTxtEntry[]): { kept: Map<string, string[]>; dropped: { line: number; text: string }[] } {
  const names = new Map(entries.map((e) => [e.name.toLowerCase(), e.name]));
  const claimed = new Map<string, string>();
  const kept = new Map<string, string[]>();
  const dropped: { line: number; text: string }[] = [];
  for (const entry of entries) {
    const mine: string[] = [];
    for (const alias of entry.aliases) {
      const key = alias.toLowerCase();
      const machine = names.get(key);
      const owner = claimed.get(key);
      if (machine !== undefined) {
        if (machine !== entry.name) dropped.push({ line: entry.line, text: `alias ${quoted(alias)} of ${entry.name} is the name of machine ${machine}: left out` });
      } else if (owner !== undefined) {
        dropped.push({ line: entry.line, text: `alias ${quoted(alias)} of ${entry.name} is already an alias of ${owner}: left out` });
      } else {
        claimed.set(key, entry.name);
        mine.push(alias);
      }
    }
    kept.set(entry.name, mine);
  }
  return { kept, dropped };
}

/** The placeholder sync path: machine.txt itself when it lies under `root`, else a name to replace. */
function placeholderPath(fileName: string, root: string): string {
  const rel = relative(root, resolve(root, fileName));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return IMPORT_PLACEHOLDER;
  return normaliseSyncPath(rel.split(sep).join('/')) ?? IMPORT_PLACEHOLDER;
}

/** The key node of a top-level entry of `doc`, for attaching comments. */
function topKey(doc: Document, name: string): Scalar | undefined {
  const contents = doc.contents;
  if (!isMap(contents)) return undefined;
  const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === name);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

/** Where imported machines are rooted: one root for all, or one per OS (a per-OS root wins for its OS). */
export interface ImportRoots {
  /** Root of every machine without a root for its OS. */
  readonly root?: string;
  /** Root of the Linux machines (`/home/ajh`). */
  readonly linux?: string;
  /** Root of the Darwin machines (`/Users/ajh`). */
  readonly darwin?: string;
}

/** The blat.yaml text of an import, and one line per row of machine.txt it could not carry as it was. */
export interface MachineTxtImport {
  readonly yaml: string;
  /** `FILE:LINE: …`, in line order. */
  readonly notes: readonly string[];
}

/**
 * A commented blat.yaml for the machines of a machine.txt (`text`, read from `fileName`): hosts
 * are the machine names (or IPs), roots come from `opts.roots` by each machine's OS, `outofuse` is
 * kept and observed states are dropped. A row of an OS blat cannot scan, or with no root for its
 * OS, is left out; an alias naming another machine is dropped; each is said in `notes`. Every bad
 * line is reported at once (one BlatError line each). `opts.placeholderRoot` is the root machine.txt
 * is looked for under, for the placeholder sync path; `opts.schema` the `$schema` reference for
 * editors (default: the installed schema). A relative `fileName` is relative to `opts.cwd`.
 */
export function buildConfigFromMachineTxt(
  text: string,
  fileName: string,
  opts: { roots: ImportRoots; placeholderRoot?: string; schema?: string; cwd?: string },
): MachineTxtImport {
  const { roots } = opts;
  for (const root of [roots.root, roots.linux, roots.darwin]) {
    if (root !== undefined && !root.startsWith('/')) throw new BlatError(`root ${quoted(root)} must be an absolute path`);
  }
  const parsed = parseMachineTxt(text, fileName);
  if (parsed.problems.length > 0) throw new BlatError(parsed.problems.join('\n'), { lines: parsed.problems });
  if (parsed.entries.length === 0) throw new BlatError(`${escapeControls(fileName)}: no machine entries found`);
  const notes: { line: number; text: string }[] = [];
  const entries = parsed.entries.filter((entry) => {
    const other = parsed.otherOs.get(entry.line);
    if (other !== undefined) {
      notes.push({ line: entry.line, text: `${entry.name} not carried: OS ${quoted(other)} is neither Linux nor Darwin` });
      return false;
    }
    if (rootOf(entry, roots) === undefined) {
      notes.push({ line: entry.line, text: `${entry.name} not carried: no root for ${entry.os ?? 'an unknown OS'} (pass --root${entry.os ? ` or --root-${entry.os}` : ''})` });
      return false;
    }
    return true;
  });
  if (entries.length === 0) {
    const lines = [`${escapeControls(fileName)}: no machine could be carried`, ...notes.map((n) => `${escapeControls(fileName)}:${n.line}: ${escapeControls(n.text)}`)];
    throw new BlatError(lines.join('\n'), { lines });
  }
  const aliases = uniqueAliases(entries);
  notes.push(...aliases.dropped);
  // A Map keeps file order even for integer-like names.
  const machines = new Map<string, Record<string, unknown>>();
  for (const entry of entries) {
    const names = aliases.kept.get(entry.name) ?? [];
    machines.set(entry.name, {
      host: entry.name,
      root: rootOf(entry, roots),
      ...(names.length > 0 ? { aliases: names } : {}),
      ...(entry.os ? { os: entry.os } : {}),
      ...(entry.outOfUse ? { state: 'outofuse' } : {}),
    });
  }
  const placeholderRoot = opts.placeholderRoot ?? roots.root ?? roots.linux ?? roots.darwin ?? '/';
  const doc = new Document({ version: 1, paths: [placeholderPath(opts.cwd === undefined ? fileName : resolve(opts.cwd, fileName), placeholderRoot)], machines });
  doc.commentBefore = [
    ` yaml-language-server: $schema=${escapeControls(opts.schema ?? CONFIG_SCHEMA_PATH)}`,
    ` blat configuration imported from ${escapeControls(fileName)}.`,
    ' Check each host (an ssh destination: user@host, host or an ssh-config alias) and root.',
  ].join('\n');
  const pathsKey = topKey(doc, 'paths');
  if (pathsKey) {
    pathsKey.spaceBefore = true;
    pathsKey.commentBefore = " Sync paths, relative to every machine's root. This is a placeholder:\n list the files and folders to keep identical.";
  }
  const machinesKey = topKey(doc, 'machines');
  if (machinesKey) machinesKey.spaceBefore = true;
  const machinesMap = doc.get('machines', true);
  if (isMap(machinesMap)) {
    for (const pair of machinesMap.items) {
      const key = pair.key;
      if (!isScalar(key)) continue;
      const entry = entries.find((e) => e.name === key.value);
      if (!entry) continue;
      const notes = [entry.ip !== '' ? `IP ${entry.ip}` : '', entry.observed === 'online' || entry.observed === 'offline' ? `was ${entry.observed}` : ''];
      const note = notes.filter((n) => n !== '').join(', ');
      if (note !== '') key.commentBefore = ` machine.txt line ${entry.line}: ${escapeControls(note)}`;
    }
  }
  notes.sort((a, b) => a.line - b.line);
  return { yaml: doc.toString({ lineWidth: 0 }), notes: notes.map((n) => `${escapeControls(fileName)}:${n.line}: ${escapeControls(n.text)}`) };
}

/** The root a machine gets: its OS's root, else the common one. */
function rootOf(entry: MachineTxtEntry, roots: ImportRoots): string | undefined {
  return (entry.os === 'linux' ? roots.linux : entry.os === 'darwin' ? roots.darwin : undefined) ?? roots.root;
}
