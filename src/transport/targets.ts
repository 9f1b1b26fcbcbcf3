import type { MachineConfig } from '../types.js';
import type { RunLimits, ScriptTarget } from './runScript.js';
import type { RsyncEndpoint } from './rsync.js';

/** How to reach a machine: self and `transport: local` machines run here, the others over ssh; with `limits`. */
export function buildScriptTarget(machine: MachineConfig, self: string, sshOptions: readonly string[], limits: RunLimits = {}): ScriptTarget {
  if (machine.name === self || machine.transport === 'local' || machine.host === undefined) return { kind: 'local', ...limits };
  return { kind: 'ssh', host: machine.host, sshOptions, ...limits };
}

/** One side of an rsync transfer for a machine: a local folder for self and local machines, else `host:root`. */
export function buildRsyncEndpoint(machine: MachineConfig, self: string): RsyncEndpoint {
  const extra = {
    ...(machine.bwlimit !== undefined ? { bwlimit: machine.bwlimit } : {}),
    ...(machine.perms === 'ignore' ? { ignorePerms: true, ...(machine.fixedModes ? { fixedModes: machine.fixedModes } : {}) } : {}),
    ...(machine.compress ? { compress: true } : {}),
    ...(machine.renameKeepsMtime === false ? { fixMtimes: true } : {}),
  };
  if (machine.name === self || machine.transport === 'local' || machine.host === undefined) return { kind: 'local', root: machine.root, ...extra };
  return { kind: 'ssh', host: machine.host, root: machine.root, ...extra };
}
