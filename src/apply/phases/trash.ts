// The trash steps of one machine: their paths moved into the run's trash folder.
import { runScript } from '../../transport/runScript.js';
import { buildTrashScript, parseTrashOutput } from '../../transport/trashScript.js';
import type { StepOutcome } from '../applyTypes.js';
import { settleCounted } from './progress.js';
import { isInterrupted, machineOf, scriptTargetOf, type ApplyState } from './state.js';

/** Moves the trash steps' paths on `to` into .blat-trash/<stamp>/ (one script), and settles them. */
export async function applyTrash(state: ApplyState, to: string, indexes: readonly number[]): Promise<void> {
  if (indexes.length === 0 || isInterrupted(state)) return;
  const { req, steps } = state;
  const m = machineOf(state, to);
  const chunks: Buffer[] = [];
  const script = buildTrashScript(m.root, req.trashStamp, indexes.map((i) => ({ path: steps[i].path, isDir: steps[i].target?.type === 'dir' })));
  const result = await runScript(scriptTargetOf(state, to), script, (c) => chunks.push(c));
  const status = parseTrashOutput(Buffer.concat(chunks));
  await settleCounted(
    state,
    indexes.map((i): StepOutcome => {
      const step = steps[i];
      const s = status.get(step.path);
      if (result.unreachable) return { index: i, step, status: 'failed', reason: `${to} unreachable (${result.unreachable})` };
      if (s === 'ok' || s === 'gone') return { index: i, step, status: 'done', after: null };
      return { index: i, step, status: 'failed', reason: s === 'fail' ? 'not moved to trash (folder not empty, or permission denied)' : `trash script failed: ${result.stderr.trim().split('\n')[0] ?? ''}` };
    }),
    to,
  );
}
