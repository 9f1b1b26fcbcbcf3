import { constants } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { escapeControls } from '../escape.js';
import { BlatError, UsageError } from '../errors.js';
import { formatSize } from '../render/format.js';
import { buildPlanDocument, parsePlanDocument } from '../render/json.js';
import { renderPlanText } from '../render/table.js';
import type { Plan } from '../types.js';
import { terminalWidth, wantsColor, writeJson, type CommandIO, type GlobalOptions } from './io.js';

const { MAX_STRING_LENGTH } = constants;

/** Reads and validates a plan saved by `blat plan --out FILE`. */
export async function readSavedPlan(file: string, cwd: string): Promise<Plan> {
  const path = resolve(cwd, file);
  // The name is echoed in one-line errors: a newline in it must not start a second line.
  const name = escapeControls(file);
  // JSON.parse reads one string: a file longer than a string can be is refused unread (one that cannot be stat'ed is reported by the read).
  const size = await stat(path).then((st) => st.size, () => 0);
  if (size > MAX_STRING_LENGTH) throw new BlatError(`${name}: cannot read plan file (${formatSize(size)}: more than the ${formatSize(MAX_STRING_LENGTH)} blat can read)`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BlatError(`${name}: cannot read plan file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BlatError(`${name}: not a blat plan: invalid JSON (${(err as Error).message})`);
  }
  return parsePlanDocument(value, name);
}

/** `blat show FILE`: print a saved plan, as text, JSON or Markdown. */
export async function showCommand(file: string, flags: GlobalOptions & { json?: boolean; markdown?: boolean; full?: boolean }, io: CommandIO): Promise<number> {
  if (flags.json && flags.markdown) throw new UsageError('--json and --markdown: choose one');
  const plan = await readSavedPlan(file, io.cwd);
  if (flags.json) writeJson(io, buildPlanDocument(plan), 2);
  else if (flags.markdown) await (await import('./markdown.js')).writeMarkdownPlan(plan, io);
  else io.stdout(renderPlanText(plan, { color: wantsColor(io), full: flags.full === true, width: terminalWidth(io) }));
  return 0;
}
