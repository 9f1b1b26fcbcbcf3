// Quoting text taken from a config file, machine.txt or the command line for a one-line message.

import { escapeControls } from '../escape.js';

/** `s` in double quotes, made safe by `escapeControls` (inner quotes and backslashes escaped). */
export function quoted(s: string): string {
  return `"${escapeControls(s.replace(/["\\]/g, (ch) => `\\${ch}`))}"`;
}
