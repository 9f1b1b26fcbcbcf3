// Turn the old blat.py machine table (machine.txt) into a commented blat.yaml.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Document, isMap, isScalar } from 'yaml';
import type { Scalar } from 'yaml';
import { CONFIG_SCHEMA_PATH } from '../config/configSchema.js';
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

/** Every machine line of `text`; a BlatError `FILE:LINE: cannot parse machine entry: …` for the first bad one. */
function parseMachineTxt(text: string, fileName: string): MachineTxtEntry[] {
  const entries: MachineTxtEntry[] = [];
  const fail = (line: number, why: string): never => {
    throw new BlatError(`${escapeControls(fileName)}:${line}: cannot parse machine entry: ${why}`);
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) return;
    const match = LINE.exec(entry);
    if (!match) fail(line, `${quoted(entry)} (${FORMAT})`);
    const [, machine, ip, osWord, state, aliasText] = match as RegExpExecArray;
    const name = machine.trim() !== '' ? machine.trim() : ip.trim();
    if (name === '') fail(line, `${quoted(entry)} has neither a machine name nor an IP address`);
    if (!NAME.test(name)) fail(line, `machine name ${quoted(name)} must be letters, digits, ".", "_" and "-", starting with a letter or digit`);
    const observed = state.trim();
    if (!STATES.has(observed)) fail(line, `unknown state ${quoted(observed)} (expected online, offline, unknown or outofuse)`);
    const aliases = aliasText === undefined ? [] : parseAliases(aliasText);
    if (typeof aliases === 'string') fail(line, `${aliases} (${FORMAT})`);
    const earlier = entries.find((e) => e.name === name);
    if (earlier) fail(line, `machine ${quoted(name)} is already listed on line ${earlier.line}`);
    const os = osOf(osWord);
    entries.push({ line, name, ip: ip.trim(), ...(os ? { os } : {}), observed, outOfUse: observed === 'outofuse', aliases: aliases as string[] });
  });
  return entries;
}

/** Aliases with those already claimed by an earlier machine (or naming one) left out: blat.yaml wants each alias once. */
function uniqueAliases(entries: readonly MachineTxtEntry[]): Map<string, string[]> {
  const taken = new Set(entries.map((e) => e.name.toLowerCase()));
  const out = new Map<string, string[]>();
  for (const entry of entries) {
    const kept = entry.aliases.filter((a) => !taken.has(a.toLowerCase()));
    kept.forEach((a) => taken.add(a.toLowerCase()));
    out.set(entry.name, kept);
  }
  return out;
}

/** The placeholder sync path: machine.txt itself when it lies under `root`, else a name to replace. */
function placeholderPath(fileName: string, root: string): string {
  const rel = relative(root, resolve(root, fileName));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return 'CHANGE-ME';
  return normaliseSyncPath(rel.split(sep).join('/')) ?? 'CHANGE-ME';
}

/** The key node of a top-level entry of `doc`, for attaching comments. */
function topKey(doc: Document, name: string): Scalar | undefined {
  const contents = doc.contents;
  if (!isMap(contents)) return undefined;
  const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === name);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

/**
 * A commented blat.yaml text for the machines of a machine.txt (`text`, read from `fileName`):
 * hosts are the machine names (or IPs), roots are `opts.root`, `outofuse` is kept and observed
 * states are dropped. `opts.schema` is the `$schema` reference for editors (default: the installed schema).
 * A relative `fileName` is relative to `opts.cwd` (the folder it was named from), else to `opts.root`.
 */
export function buildConfigFromMachineTxt(text: string, fileName: string, opts: { root: string; schema?: string; cwd?: string }): string {
  if (!opts.root.startsWith('/')) throw new BlatError(`root ${quoted(opts.root)} must be an absolute path`);
  const entries = parseMachineTxt(text, fileName);
  if (entries.length === 0) throw new BlatError(`${escapeControls(fileName)}: no machine entries found`);
  const aliases = uniqueAliases(entries);
  // A Map keeps file order even for integer-like names.
  const machines = new Map<string, Record<string, unknown>>();
  for (const entry of entries) {
    const names = aliases.get(entry.name) ?? [];
    machines.set(entry.name, {
      host: entry.name,
      root: opts.root,
      ...(names.length > 0 ? { aliases: names } : {}),
      ...(entry.os ? { os: entry.os } : {}),
      ...(entry.outOfUse ? { state: 'outofuse' } : {}),
    });
  }
  const doc = new Document({ version: 1, paths: [placeholderPath(opts.cwd === undefined ? fileName : resolve(opts.cwd, fileName), opts.root)], machines });
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
  return doc.toString({ lineWidth: 0 });
}
