// Phase 3 of an apply: the pulls into self.
import { groupBy } from '../groupBy.js';
import { runLimited } from '../runLimited.js';
import type { ApplyState } from './state.js';
import { applyTransfer } from './transfer.js';

/**
 * Carries out the pulls without a problem, one rsync per source machine. When one source's paths
 * go into a folder another source's pull creates here, the pulls run one after another,
 * shallowest folders first (rsync does not make the missing parents: --no-implied-dirs).
 */
export async function applyPulls(state: ApplyState): Promise<void> {
  const { req, steps, problems } = state;
  const pulls = groupBy(steps.flatMap((s, i) => (s.action === 'pull' && !problems.has(i) ? [i] : [])), (i) => steps[i].from);
  const pulledFolderFrom = new Map(steps.flatMap((s) => (s.action === 'pull' && s.source?.type === 'dir' && s.target === null ? [[s.path, s.from] as const] : [])));
  const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
  const dependent = [...pulls.values()].some((idx) => idx.some((i) => (pulledFolderFrom.get(parentOf(steps[i].path)) ?? steps[i].from) !== steps[i].from));
  const depth = (idx: readonly number[]) => idx.reduce((d, i) => Math.min(d, steps[i].path.split('/').length), Infinity);
  const pullOrder = dependent ? [...pulls].sort((a, b) => depth(a[1]) - depth(b[1])) : [...pulls];
  await runLimited(pullOrder, dependent ? 1 : req.config.concurrency, ([from, idx]) => applyTransfer(state, from, req.self, idx));
}
