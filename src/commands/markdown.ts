import { appendFile } from 'node:fs/promises';
import { escapeControls } from '../escape.js';
import { BlatError } from '../errors.js';
import { renderPlanMarkdown } from '../render/markdown.js';
import type { Plan } from '../types.js';
import type { CommandIO } from './io.js';

/**
 * Prints the plan as Markdown (see render/markdown.ts) and, when `$GITHUB_STEP_SUMMARY` names a
 * file (GitHub Actions), appends the same text to it.
 */
export async function writeMarkdownPlan(plan: Plan, io: CommandIO, deletionGuard?: readonly string[]): Promise<void> {
  const text = renderPlanMarkdown(plan, { deletionGuard });
  io.stdout(text);
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (summary === undefined || summary === '') return;
  await appendFile(summary, text).catch((err: NodeJS.ErrnoException) => {
    throw new BlatError(`GITHUB_STEP_SUMMARY: cannot append to ${escapeControls(summary)} (${err.code ?? err.message})`);
  });
}
