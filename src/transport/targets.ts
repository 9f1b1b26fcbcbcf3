import type { MachineConfig } from '../types.js';
import type { ScriptTarget } from './runScript.js';

/** How to reach a machine: self and `transport: local` machines run here, the others over ssh. */
export function buildScriptTarget(machine: MachineConfig, self: string, sshOptions: readonly string[]): ScriptTarget {
  if (machine.name === self || machine.transport === 'local' || machine.host === undefined) return { kind: 'local' };
  return { kind: 'ssh', host: machine.host, sshOptions };
}
