// Decide which configured machine blat is running on.
import { UsageError } from '../errors.js';
import type { Config, MachineConfig } from '../types.js';
import { escapeControls } from '../escape.js';
import { quoted } from './quoted.js';

/**
 * The name that makes blat a controller (`self: none`, `--self none`, `BLAT_SELF=none`): it runs
 * on no machine of the set (a CI runner), every machine is reached as a remote one, and each file
 * is relayed through a staging folder in the state folder. No machine may be called so.
 */
export const CONTROLLER = 'none';

/** The names a machine answers to, lower-cased: its name, the host part of `host` (after `user@`) and its aliases. */
function namesOf(machine: MachineConfig): string[] {
  const names = [machine.name, ...machine.aliases];
  if (machine.host !== undefined) names.push(machine.host.slice(machine.host.lastIndexOf('@') + 1));
  return names.map((n) => n.toLowerCase());
}

/** The first DNS label of `name` (`spencer.local` → `spencer`), or undefined for IP addresses and single labels. */
function firstLabel(name: string): string | undefined {
  if (/^[\d.]+$/.test(name) || name.includes(':')) return undefined;
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : undefined;
}

/** Machines that `hostname` matches exactly, else those matching by first label (`spencer.local` ↔ `spencer`). */
function matchHostname(machines: readonly MachineConfig[], hostname: string): MachineConfig[] {
  const host = hostname.toLowerCase();
  const exact = machines.filter((m) => namesOf(m).includes(host));
  if (exact.length > 0) return exact;
  const hostLabel = firstLabel(host);
  return machines.filter((m) => namesOf(m).some((n) => n === hostLabel || firstLabel(n) === host));
}

/** The machine called `name`, or a UsageError saying where the name came from and which machines there are. */
function machineNamed(config: Config, name: string, source: string): MachineConfig {
  const machine = config.machines.find((m) => m.name === name);
  if (machine) return machine;
  const names = config.machines.map((m) => escapeControls(m.name)).join(', ');
  throw new UsageError(`${source} names ${quoted(name)}, which is not a machine in ${escapeControls(config.file)} (machines: ${names})`);
}

/**
 * The name of the machine blat runs on: `--self`, else `$BLAT_SELF`, else `self:` in the config,
 * else the one machine whose name, host or alias matches `hostname`; CONTROLLER when the first of those
 * given is `none` (no machine is self). Never a guess: no match,
 * several matches, an unknown name or an out-of-use machine is a UsageError.
 */
export function resolveSelf(config: Config, opts: { flag?: string; env: NodeJS.ProcessEnv; hostname: string }): string {
  let machine: MachineConfig;
  const chosen = opts.flag !== undefined && opts.flag !== '' ? opts.flag : opts.env.BLAT_SELF !== undefined && opts.env.BLAT_SELF !== '' ? opts.env.BLAT_SELF : config.self;
  if (chosen === CONTROLLER) return CONTROLLER;
  if (opts.flag !== undefined && opts.flag !== '') machine = machineNamed(config, opts.flag, '--self');
  else if (opts.env.BLAT_SELF !== undefined && opts.env.BLAT_SELF !== '') machine = machineNamed(config, opts.env.BLAT_SELF, 'BLAT_SELF');
  else if (config.self !== undefined) machine = machineNamed(config, config.self, '"self:"');
  else {
    const matches = matchHostname(config.machines, opts.hostname);
    if (matches.length !== 1) {
      const which = matches.length === 0 ? 'none' : 'more than one';
      const among = (matches.length === 0 ? config.machines : matches).map((m) => escapeControls(m.name)).join(', ');
      throw new UsageError(
        `cannot tell which machine this is (hostname ${quoted(opts.hostname)} matches ${which} of: ${among}); ` +
          `pass --self NAME, set BLAT_SELF, or add "self: NAME" to ${escapeControls(config.file)}`,
      );
    }
    machine = matches[0];
  }
  if (machine.state === 'outofuse') {
    throw new UsageError(`this machine, ${quoted(machine.name)}, is declared "state: outofuse" in ${escapeControls(config.file)}; remove that line to run blat here`);
  }
  return machine.name;
}
