import { resolveSelf } from '../config/self.js';
import { buildMachinesDocument, renderMachinesText } from '../render/machines.js';
import { readMachineStates, updateMachineStates, writeMachineStates } from '../state/machineState.js';
import { scanSnapshot } from '../snapshot/scanSnapshot.js';
import { readCommandConfig, readySshOptions } from './context.js';
import { wantsColor, type CommandIO, type GlobalOptions } from './io.js';

/** `blat machines [--probe] [--json]`: the machine state table; --probe contacts every machine in use first. */
export async function machinesCommand(flags: GlobalOptions & { probe?: boolean; json?: boolean }, io: CommandIO): Promise<number> {
  const config = await readCommandConfig(flags, io);
  const self = resolveSelf(config, { flag: flags.self, env: io.env, hostname: io.hostname });
  let rows = await readMachineStates(config.stateDir, config.machines.map((m) => m.name));
  if (flags.probe) {
    // A scan of no paths is a probe: one round trip per machine, learning os and clock.
    const { snapshot } = await scanSnapshot({ config, self, paths: [], sshOptions: await readySshOptions(config) });
    rows = updateMachineStates(rows, snapshot.machines, snapshot.takenAtMs);
    await writeMachineStates(config.stateDir, rows);
  }
  // Declared outofuse always shows as such, whatever was observed before.
  rows = rows.map((r) => (config.machines.find((m) => m.name === r.name)?.state === 'outofuse' ? { ...r, state: 'outofuse' as const } : r));
  if (flags.json) io.stdout(JSON.stringify(buildMachinesDocument(rows), null, 2) + '\n');
  else io.stdout(renderMachinesText(rows, { color: wantsColor(io), nowMs: io.now(), selfName: self }));
  return 0;
}
