// The live progress of an apply on a terminal.
import { buildProgressState, renderProgressLines, updateProgress, type ProgressReport } from '../render/progress.js';
import { terminalWidth, type CommandIO } from '../commands/io.js';

/**
 * The live progress on a terminal (stderr, not with --json): the whole and one line per machine
 * being written, redrawn in place at most every 100 ms once the apply has run a second, and
 * cleared at the end. Nothing otherwise.
 */
export function buildProgressWriter(io: CommandIO, json: boolean) {
  const started = io.now();
  let state = buildProgressState(started);
  /** Lines on screen now (the cursor is at the end of the last). */
  let drawn = 0;
  let last = 0;
  const active = io.stderrIsTTY === true && !json;
  // One column spare: a line as wide as the terminal would move the cursor to the next.
  const width = Math.max(20, terminalWidth({ ...io, stdoutIsTTY: true }) - 1);
  /** Back to the first drawn line, cleared to the end of the screen. */
  const erase = () => (drawn > 1 ? `\u001b[${drawn - 1}A` : '') + '\r\u001b[J';
  return {
    update: active
      ? (p: ProgressReport) => {
          const now = io.now();
          state = updateProgress(state, p, now);
          if (now - started < 1000 || now - last < 100) return;
          last = now;
          const lines = renderProgressLines(state, now, width);
          io.stderr(erase() + lines.join('\n'));
          drawn = lines.length;
        }
      : undefined,
    clear: () => {
      if (drawn > 0) io.stderr(erase());
      drawn = 0;
    },
  };
}
