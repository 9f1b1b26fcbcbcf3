// The machine state table (state.json): each machine's last known status, OS, clock offset and last contact.
import { BlatError } from '../errors.js';
import type { MachineObservation, MachineState, MachineStateRecord, OsKind, RootProbe } from '../types.js';
import { writeFileAtomic } from './atomicWrite.js';
import { isRecord, parseJsonFile, readTextIfExists } from './fsErrors.js';
import { machineStatesPath } from './paths.js';

const STATES: ReadonlySet<string> = new Set<MachineState>(['online', 'offline', 'outofuse', 'unknown']);
const OSES: ReadonlySet<string> = new Set<OsKind>(['linux', 'darwin']);

/**
 * Reads state.json and returns one record per name in `machineNames`, in that order:
 * `unknown` for machines the file does not mention (or when there is no file);
 * machines in the file that are no longer configured are dropped.
 */
export async function readMachineStates(stateDir: string, machineNames: readonly string[]): Promise<MachineStateRecord[]> {
  const file = machineStatesPath(stateDir);
  const text = await readTextIfExists(file);
  const known = text === undefined ? new Map<string, MachineStateRecord>() : parseMachineStates(file, text);
  return machineNames.map((name) => known.get(name) ?? { name, state: 'unknown' });
}

/** Parses state.json's text into records by name; a BlatError naming `file` when it is not a valid state file. */
export function parseMachineStates(file: string, text: string): Map<string, MachineStateRecord> {
  const value = parseJsonFile(file, text);
  const bad = (why: string): BlatError => new BlatError(`${file}: not a blat state file (${why}); delete it to start afresh`);
  if (!isRecord(value)) throw bad('not an object');
  if (value.formatVersion !== 1) throw bad(`formatVersion ${JSON.stringify(value.formatVersion)}, expected 1`);
  if (!Array.isArray(value.machines)) throw bad('machines is not a list');
  const out = new Map<string, MachineStateRecord>();
  value.machines.forEach((item: unknown, i: number) => {
    const where = `machines[${i}]`;
    if (!isRecord(item) || typeof item.name !== 'string' || item.name === '') throw bad(`${where} has no name`);
    if (typeof item.state !== 'string' || !STATES.has(item.state)) throw bad(`${where}.state is ${JSON.stringify(item.state)}`);
    if (item.os !== undefined && (typeof item.os !== 'string' || !OSES.has(item.os))) throw bad(`${where}.os is ${JSON.stringify(item.os)}`);
    if (item.reason !== undefined && typeof item.reason !== 'string') throw bad(`${where}.reason is not a string`);
    if (item.lastSeenMs !== undefined && !Number.isFinite(item.lastSeenMs)) throw bad(`${where}.lastSeenMs is not a number`);
    if (item.clockOffsetMs !== undefined && !Number.isFinite(item.clockOffsetMs)) throw bad(`${where}.clockOffsetMs is not a number`);
    out.set(
      item.name,
      compact({
        name: item.name,
        state: item.state as MachineState,
        os: item.os as OsKind | undefined,
        reason: item.reason as string | undefined,
        lastSeenMs: item.lastSeenMs as number | undefined,
        clockOffsetMs: item.clockOffsetMs as number | undefined,
        rootMissing: item.state === 'offline' && item.rootMissing === true ? true : undefined,
        probe: parseProbe(item.probe, `${where}.probe`, bad),
      }),
    );
  });
  return out;
}

/** A kept probe result; undefined when absent; a BlatError (from `bad`) when malformed. */
function parseProbe(value: unknown, where: string, bad: (why: string) => BlatError): RootProbe | undefined {
  if (value === undefined) return undefined;
  const ok =
    isRecord(value) &&
    typeof value.root === 'string' &&
    Number.isFinite(value.probedMs) &&
    typeof value.caseInsensitive === 'boolean' &&
    typeof value.normalizes === 'boolean' &&
    typeof value.chmod === 'boolean' &&
    (value.mtimeWindow === undefined || (typeof value.mtimeWindow === 'number' && value.mtimeWindow >= 0)) &&
    (value.renameKeepsMtime === undefined || value.renameKeepsMtime === false) &&
    (value.symlinks === undefined || value.symlinks === false) &&
    (value.refusedNames === undefined || isRefusedNames(value.refusedNames)) &&
    (value.mtimeShift === undefined || Number.isFinite(value.mtimeShift)) &&
    (value.fixedModes === undefined || (isRecord(value.fixedModes) && isMode(value.fixedModes.file) && isMode(value.fixedModes.dir)));
  if (!ok) throw bad(`${where} is not a probe result`);
  return value as unknown as RootProbe;
}

function isRefusedNames(v: unknown): boolean {
  return (
    isRecord(v) &&
    (v.chars === undefined || typeof v.chars === 'string') &&
    (v.controls === undefined || v.controls === true) &&
    (v.nonUtf8 === undefined || v.nonUtf8 === true) &&
    (v.nonAscii === undefined || v.nonAscii === true)
  );
}

function isMode(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0o777;
}

/** The table with the probe results of the machines `names` dropped (pure); other records unchanged. */
export function withoutProbes(records: readonly MachineStateRecord[], names: readonly string[]): MachineStateRecord[] {
  return records.map((r) => {
    if (!names.includes(r.name) || r.probe === undefined) return r;
    const { probe: _dropped, ...rest } = r;
    return rest;
  });
}

/** The table with each machine of `probes` given its probe result (pure); other records unchanged. */
export function withProbes(records: readonly MachineStateRecord[], probes: ReadonlyMap<string, RootProbe>): MachineStateRecord[] {
  const out = records.map((r) => (probes.has(r.name) ? { ...r, probe: probes.get(r.name) } : r));
  for (const [name, probe] of probes) if (!records.some((r) => r.name === name)) out.push({ name, state: 'unknown', probe });
  return out;
}

/**
 * The state table after a scan (pure). Online: state online, last seen now, OS and
 * clock offset as observed. Offline: state offline with the observed reason; OS,
 * last seen and clock offset kept from before. Outofuse: state outofuse, the rest kept.
 * Machines not observed are kept as they were; observed machines missing from
 * `previous` are added after the others, in observation order.
 */
export function updateMachineStates(
  previous: readonly MachineStateRecord[],
  observed: readonly MachineObservation[],
  nowMs: number,
): MachineStateRecord[] {
  const byName = new Map(observed.map((o) => [o.name, o] as const));
  const seen = new Set<string>();
  const out: MachineStateRecord[] = [];
  for (const prev of previous) {
    seen.add(prev.name);
    const obs = byName.get(prev.name);
    out.push(obs === undefined ? prev : buildRecord(prev, obs, nowMs));
  }
  for (const obs of observed) {
    if (seen.has(obs.name)) continue;
    seen.add(obs.name);
    out.push(buildRecord({ name: obs.name, state: 'unknown' }, obs, nowMs));
  }
  return out;
}

/** Writes the state table to state.json atomically. */
export async function writeMachineStates(stateDir: string, records: readonly MachineStateRecord[]): Promise<void> {
  const body = { formatVersion: 1, machines: records.map((r) => compact({ ...r })) };
  await writeFileAtomic(machineStatesPath(stateDir), `${JSON.stringify(body, null, 2)}\n`);
}

function buildRecord(prev: MachineStateRecord, obs: MachineObservation, nowMs: number): MachineStateRecord {
  switch (obs.status) {
    case 'online':
      return compact({ name: prev.name, state: 'online', os: obs.os ?? prev.os, lastSeenMs: nowMs, clockOffsetMs: obs.clockOffsetMs, probe: prev.probe });
    case 'offline':
      return compact({
        name: prev.name,
        state: 'offline',
        os: obs.os ?? prev.os,
        reason: obs.reason,
        // A machine whose root is missing answered: that is a contact.
        lastSeenMs: obs.rootMissing ? nowMs : prev.lastSeenMs,
        clockOffsetMs: prev.clockOffsetMs,
        rootMissing: obs.rootMissing,
        probe: prev.probe,
      });
    case 'outofuse':
      return compact({ name: prev.name, state: 'outofuse', os: prev.os, lastSeenMs: prev.lastSeenMs, clockOffsetMs: prev.clockOffsetMs, probe: prev.probe });
  }
}

/** The record without its undefined fields, so it compares and serialises cleanly. */
function compact(record: { -readonly [K in keyof MachineStateRecord]: MachineStateRecord[K] }): MachineStateRecord {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out as unknown as MachineStateRecord;
}
