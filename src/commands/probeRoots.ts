import { applyProbedDefaults } from '../config/probedDefaults.js';
import { probeRoot } from '../snapshot/probeRoot.js';
import { readMachineStates, withoutProbes, withProbes, writeMachineStates } from '../state/machineState.js';
import { buildScriptTarget } from '../transport/targets.js';
import type { MachineConfig, MachineStateRecord, RootProbe } from '../types.js';
import { readySshOptions, type RunContext } from './context.js';
import type { CommandIO } from './io.js';

/**
 * The run context with each machine's probed defaults (config/probedDefaults.ts). Machines in use
 * whose root was never probed (or whose root changed) are probed first, all at once, one round
 * trip each, and what is found is kept in state.json: a root is probed once, not on every run.
 * An ssh machine that was offline at its last scan is not probed (it would cost a connection
 * timeout on every run while it is away): its first run back is planned with the declared
 * settings, and probed on the next. `fresh` (--new: a replaced disk, a new filesystem): machines
 * whose kept probe is dropped and whose root is probed again now, whatever was kept.
 */
export async function readProbedContext(ctx: RunContext, io: CommandIO, fresh: ReadonlySet<string> = new Set()): Promise<RunContext> {
  const { config } = ctx;
  const states = await readMachineStates(config.stateDir, config.machines.map((m) => m.name));
  const wanted = config.machines.filter((m, i) => m.state !== 'outofuse' && (fresh.has(m.name) || needsProbe(m, states[i])));
  if (wanted.length === 0) return withDefaults(ctx, states);
  const sshOptions = await readySshOptions(config);
  const found = new Map<string, RootProbe>();
  await Promise.all(
    wanted.map(async (m) => {
      const outcome = await probeRoot(m, buildScriptTarget(m, ctx.self.name, sshOptions, { stallTimeout: config.stallTimeout }), io.now());
      if (!outcome.ok) return;
      found.set(m.name, outcome.probe);
      const shift = outcome.probe.mtimeShift;
      if (shift !== undefined) {
        io.stderr(`warning: ${m.name}: its filesystem gives back mtimes ${shift} s off the ones set (a FAT disk mounted under a time zone other than the one it keeps?): its versions will not compare with the others'\n`);
      }
    }),
  );
  // A machine taken as new whose probe failed keeps none: its declared settings until it is probed.
  const dropped = wanted.filter((m) => fresh.has(m.name) && !found.has(m.name)).map((m) => m.name);
  if (found.size === 0 && !dropped.some((name) => states.find((s) => s.name === name)?.probe !== undefined)) return withDefaults(ctx, states);
  const next = withProbes(withoutProbes(await readMachineStates(config.stateDir, config.machines.map((m) => m.name)), dropped), found);
  await writeMachineStates(config.stateDir, next);
  return withDefaults(ctx, next);
}

/** True when `m` is in use, has no probe of its current root, and is worth probing now. */
function needsProbe(m: MachineConfig, state: MachineStateRecord): boolean {
  if (m.state === 'outofuse' || state.probe?.root === m.root) return false;
  return !(state.state === 'offline' && state.rootMissing !== true && m.transport === 'ssh' && m.host !== undefined);
}

function withDefaults(ctx: RunContext, states: readonly MachineStateRecord[]): RunContext {
  const config = applyProbedDefaults(ctx.config, states);
  if (config === ctx.config) return ctx;
  return { ...ctx, config, self: config.machines.find((m) => m.name === ctx.self.name) ?? ctx.self };
}
