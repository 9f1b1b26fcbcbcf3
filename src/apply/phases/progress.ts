// The transfers' progress: counted as steps settle, reported to the request's onProgress.
import type { StepOutcome } from '../applyTypes.js';
import { settleOutcomes, type ApplyState, type Counts } from './state.js';

/** The counts of the steps that write to `name` (made at first use). */
export function machineCountsOf(state: ApplyState, name: string): Counts {
  let m = state.perMachine.get(name);
  if (m === undefined) state.perMachine.set(name, (m = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 }));
  return m;
}

/** Bytes rsync has sent so far of the transfers still running (to `to`, or to any machine). */
function flyingOf(state: ApplyState, to?: string): number {
  let n = 0;
  for (const [key, bytes] of state.inFlight) if (to === undefined || key.slice(key.indexOf('>') + 1, key.lastIndexOf('#')) === to) n += bytes;
  return n;
}

/** Reports the progress now (`machine`: the one whose transfer moved), bytes in flight included. */
export function reportProgress(state: ApplyState, machine: string): void {
  if (!state.totalsKnown) return; // a send begun before the precheck (see startEarlyWholes)
  state.req.onProgress?.({
    machine,
    filesDone: state.progress.filesDone,
    filesTotal: state.progress.filesTotal,
    bytesDone: state.progress.bytesDone + flyingOf(state),
    bytesTotal: state.progress.bytesTotal,
    machines: [...state.perMachine].map(([name, m]) => ({ name, ...m, bytesDone: m.bytesDone + flyingOf(state, name) })),
  });
}

/** The totals: the steps that transfer or trash (copy-aside and moves are not counted) and have no problem, and their files' bytes. */
export function setProgressTotals(state: ApplyState): void {
  const { steps, problems, progress } = state;
  state.totalsKnown = true;
  progress.filesTotal = steps.filter((st) => st.action !== 'copy-aside' && st.action !== 'move').length - [...problems.keys()].filter((i) => steps[i].action !== 'move').length;
  progress.bytesTotal = steps.reduce((sum, st, i) => sum + (problems.has(i) || st.source?.type !== 'file' ? 0 : st.source.size), 0);
  steps.forEach((st, i) => {
    if (problems.has(i)) return;
    const m = machineCountsOf(state, st.to);
    m.filesTotal++;
    if (st.source?.type === 'file') m.bytesTotal += st.source.size;
  });
}

/** Settles the outcomes of transfers or trash moves, counting them done for the progress, then reports it. */
export async function settleCounted(state: ApplyState, list: StepOutcome[], machineName: string): Promise<void> {
  state.progress.filesDone += list.length;
  state.progress.bytesDone += list.reduce((sum, o) => sum + (o.step.source?.type === 'file' ? o.step.source.size : 0), 0);
  for (const o of list) {
    const m = machineCountsOf(state, o.step.to);
    m.filesDone++;
    if (o.step.source?.type === 'file') m.bytesDone += o.step.source.size;
  }
  await settleOutcomes(state, list);
  reportProgress(state, machineName);
}
