import type { MachineConfig } from '../types.js';
import type { ScriptTarget } from './runScript.js';
import type { RsyncEndpoint } from './rsync.js';

/** How to reach a machine: self and `transport: local` machines run here, the others over ssh. */
export function buildScriptTarget(machine: MachineConfig, self: string, sshOptions: readonly string[]): ScriptTarget {
  if (machine.name === self || machine.transport === 'local' || machine.host === undefined) return { kind: 'local' };
  return { kind: 'ssh', host: machine.host, sshOptions };
}

/** One side of an rsync transfer for a machine: a local folder for self and local machines, else `host:root`. */
export function buildRsyncEndpoint(machine: MachineConfig, self: string): RsyncEndpoint {
  const limit = { ...(machine.bwlimit !== undefined ? { bwlimit: machine.bwlimit } : {}), ...(machine.compress ? { compress: true } : {}) };
  if (machine.name === self || machine.transport === 'local' || machine.host === undefined) return { kind: 'local', root: machine.root, ...limit };
  return { kind: 'ssh', host: machine.host, root: machine.root, ...limit };
}
