// The probe of a machine's root filesystem: run the probe script once, read its answer.
import type { MachineConfig, RefusedNames, RootProbe } from '../types.js';
import { buildProbeScript, PROBE_MAGIC, PROBE_MTIME } from '../transport/probeScript.js';
import { runScript, type ScriptTarget } from '../transport/runScript.js';

/** A probe's outcome: what was found, or why nothing was (unreachable, no root, not writable). */
export type ProbeOutcome = { readonly ok: true; readonly probe: RootProbe } | { readonly ok: false; readonly reason: string };

/** Probes `machine`'s root through `target` (one round trip). */
export async function probeRoot(machine: MachineConfig, target: ScriptTarget, nowMs: number): Promise<ProbeOutcome> {
  const chunks: Buffer[] = [];
  const result = await runScript(target, buildProbeScript(machine.root), (c) => chunks.push(c));
  if (result.unreachable) return { ok: false, reason: result.unreachable };
  return parseProbeOutput(Buffer.concat(chunks).toString('latin1'), machine.root, nowMs);
}

/** The probe script's output (see transport/probeScript.ts) read into a RootProbe (pure). */
export function parseProbeOutput(text: string, root: string, nowMs: number): ProbeOutcome {
  const fields = text.split('\0');
  if (fields[0] !== PROBE_MAGIC || !fields.includes('end')) return { ok: false, reason: 'probe cut short' };
  if (fields[1] === 'noroot') return { ok: false, reason: 'root missing' };
  if (fields[1] !== 'root') return { ok: false, reason: 'root not writable' };
  const kv = new Map<string, string>();
  for (const f of fields.slice(2)) {
    const eq = f.indexOf('=');
    if (eq > 0) kv.set(f.slice(0, eq), f.slice(eq + 1));
  }
  const chmod = kv.get('chmod') === '1';
  const mtimeWindow = buildMtimeWindow(kv.get('mtime') ?? '');
  const shift = buildMtimeShift(kv.get('mtime') ?? '');
  const file = parseLsMode(kv.get('fmode') ?? '');
  const dir = parseLsMode(kv.get('dmode') ?? '');
  const probe: RootProbe = {
    root,
    probedMs: nowMs,
    caseInsensitive: kv.get('case') === '1',
    normalizes: kv.get('norm') === '1',
    ...(mtimeWindow !== undefined ? { mtimeWindow } : {}),
    chmod,
    ...(!chmod && file !== undefined && dir !== undefined ? { fixedModes: { file, dir } } : {}),
    ...(kv.get('rename') === '0' ? { renameKeepsMtime: false as const } : {}),
    ...(kv.get('symlink') === '0' ? { symlinks: false as const } : {}),
    ...(shift !== undefined ? { mtimeShift: shift } : {}),
    ...buildRefusedNames(kv),
  };
  return { ok: true, probe };
}

/**
 * The window an mtime read back after setting PROBE_MTIME (an odd second and .123456789) calls
 * for: 0 when kept to the µs; 1 when a fraction was lost or coarsened (whole seconds; exFAT's
 * 10 ms) or the odd second kept; 2 when it became an even second (FAT's 2 s). Undefined: unknown,
 * or 2 s or more off (see buildMtimeShift).
 */
export function buildMtimeWindow(readBack: string): number | undefined {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(readBack)) return undefined;
  const got = Number(readBack);
  const set = Number(PROBE_MTIME);
  if (Math.abs(got - set) <= 1e-6) return 0;
  // Not the time set, past any precision: a shifted clock (fusefat under a time zone other than UTC), not a window.
  if (Math.abs(got - set) >= 2) return undefined;
  if (got % 1 !== 0 || Math.floor(got) % 2 === 1) return 1;
  return 2;
}

/** Whole seconds the mtime read back is off the one set, when 2 or more (else undefined): the filesystem does not keep times as set. */
export function buildMtimeShift(readBack: string): number | undefined {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(readBack)) return undefined;
  const d = Number(readBack) - Number(PROBE_MTIME);
  return Math.abs(d) >= 2 ? Math.round(d) : undefined;
}

/** The permission bits of an `ls -l` mode string (`-rwx------` → 0o700); undefined when it is not one. */
export function parseLsMode(s: string): number | undefined {
  if (!/^[-dlbcps][-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT]/.test(s)) return undefined;
  let mode = 0;
  for (let i = 1; i <= 9; i++) if (s[i] !== '-' && s[i] !== 'S' && s[i] !== 'T') mode |= 1 << (9 - i);
  return mode;
}

/** The names the probe found refused (`badchars`, `ctlname`, `utf8only`, and `norm=-`: a name with é refused); nothing when none was. */
function buildRefusedNames(kv: ReadonlyMap<string, string>): { refusedNames?: RefusedNames } {
  const chars = kv.get('badchars') ?? '';
  const refused: RefusedNames = {
    ...(chars !== '' ? { chars } : {}),
    ...(kv.get('ctlname') === '1' ? { controls: true as const } : {}),
    ...(kv.get('utf8only') === '1' ? { nonUtf8: true as const } : {}),
    ...(kv.get('norm') === '-' ? { nonAscii: true as const } : {}),
  };
  return Object.keys(refused).length > 0 ? { refusedNames: refused } : {};
}
