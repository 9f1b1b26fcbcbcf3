// Phase 3 of an apply: the pulls into self.
import { groupBy } from '../groupBy.js';
import { runLimited } from '../runLimited.js';
import type { ApplyState } from './state.js';
import { applyTransfer } from './transfer.js';

/**
 * Carries out the pulls without a problem, one rsync per source machine. When one source's paths
 * go into a folder another source's pull creates here, the pulls run one after another,
 * shallowest folders first (rsync does not make the missing parents: --no-implied-dirs). So they
 * do when more than one source replaces something here: each rsync keeps what it replaces in this
 * run's trash folder, whose folders it makes one by one, and it fails (error in file IO) when
 * another rsync made one of them first.
 */
export async function applyPulls(state: ApplyState): Promise<void> {
  const { req, steps, problems } = state;
  const pulls = groupBy(steps.flatMap((s, i) => (s.action === 'pull' && !problems.has(i) ? [i] : [])), (i) => steps[i].from);
  const pulledFolderFrom = new Map(steps.flatMap((s) => (s.action === 'pull' && s.source?.type === 'dir' && s.target === null ? [[s.path, s.from] as const] : [])));
  const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
  const dependent = [...pulls.values()].some((idx) => idx.some((i) => (pulledFolderFrom.get(parentOf(steps[i].path)) ?? steps[i].from) !== steps[i].from));
  const replacing = [...pulls.values()].filter((idx) => idx.some((i) => steps[i].target !== null)).length;
  const depth = (idx: readonly number[]) => idx.reduce((d, i) => Math.min(d, steps[i].path.split('/').length), Infinity);
  const pullOrder = dependent ? [...pulls].sort((a, b) => depth(a[1]) - depth(b[1])) : [...pulls];
  await runLimited(pullOrder, dependent || replacing > 1 ? 1 : req.config.concurrency, ([from, idx]) => applyTransfer(state, from, req.self, idx));
}
