// Machines whose base says they are not the disk that was synced take no part.
import { BlatError } from '../errors.js';
import type { MachineBases } from '../snapshot/machineBases.js';
import type { Observation } from '../snapshot/scanSnapshot.js';
import type { Config, MachineObservation } from '../types.js';

/**
 * The observation with the machines whose base is lost (not the disk that was synced) or damaged
 * taken out of the run: offline, their root not usable, the reason said. Self may not be one.
 */
export function leaveOutMachines(config: Config, self: string, observed: Observation, bases: MachineBases): Observation {
  const reasons = new Map(bases.damaged);
  for (const [name, f] of bases.found) if (f.kind === 'lost') reasons.set(name, f.reason);
  if (reasons.size === 0) return observed;
  const why = reasons.get(self);
  if (why !== undefined) throw new BlatError(`self (${self}): ${why}`);
  const machines = observed.machines.map((m): MachineObservation => {
    const reason = reasons.get(m.name);
    return reason === undefined ? m : Object.freeze({ name: m.name, status: 'offline', reason, ...(m.os ? { os: m.os } : {}), rootMissing: true });
  });
  const warnings = [...observed.warnings.filter((w) => ![...reasons.keys()].some((n) => w.startsWith(`${n}: `))), ...[...reasons].map(([n, r]) => `${n}: ${r}`)];
  return { ...observed, machines: Object.freeze(machines), warnings, unchanged: observed.unchanged.filter((n) => !reasons.has(n)) };
}
