// One source → one target: the folders new there that go whole, the rest path by path.
import { batchKeyOf, isInterrupted, type ApplyState } from './state.js';
import { applyTransferListed } from './transferListed.js';
import { applyTransferWhole } from './transferWhole.js';

/** Sends the steps `indexes` from `from` to `to` (folders new there whole, see wholes, by the send begun early if any; the rest listed) and settles them; nothing once interrupted (they fail as interrupted at the end). */
export async function applyTransfer(state: ApplyState, from: string, to: string, indexes: readonly number[]): Promise<void> {
  if (isInterrupted(state)) return; // its steps fail as interrupted at the end
  const key = batchKeyOf(from, to);
  const whole = state.wholes.get(key) ?? [];
  const begun = state.earlyWholes.get(key);
  state.earlyWholes.delete(key);
  const sentWhole = new Set(whole.flatMap((t) => t.members));
  if (whole.length > 0 || begun) await applyTransferWhole(state, from, to, whole, begun);
  await applyTransferListed(state, from, to, indexes.filter((i) => !sentWhole.has(i)));
}
