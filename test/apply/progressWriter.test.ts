// The live progress writer of apply, on a fake terminal: drawn in place, redrawn, cleared.
import { describe, it, expect } from 'vitest';
import { buildProgressWriter } from '../../src/apply/progressWriter.js';
import type { CommandIO } from '../../src/commands/io.js';

const MiB = 1024 * 1024;

function fakeIO(opts: { stderrIsTTY: boolean }): { io: CommandIO; err: string[]; setNow(ms: number): void } {
  let now = 0;
  const err: string[] = [];
  const io: CommandIO = {
    cwd: '/',
    env: { COLUMNS: '80' },
    hostname: 'h',
    stdout: () => undefined,
    stderr: (t) => err.push(t),
    stdoutIsTTY: false,
    stdinIsTTY: false,
    stderrIsTTY: opts.stderrIsTTY,
    ask: async () => '',
    now: () => now,
  };
  return { io, err, setNow: (ms) => (now = ms) };
}

const machines = (m1: number, m2: number) => [
  { name: 'm1', filesDone: m1, filesTotal: 10, bytesDone: m1 * MiB, bytesTotal: 10 * MiB },
  { name: 'm2', filesDone: m2, filesTotal: 10, bytesDone: m2 * MiB, bytesTotal: 10 * MiB },
];
const at = (m1: number, m2: number) => ({ machine: 'm1', filesDone: m1 + m2, filesTotal: 20, bytesDone: (m1 + m2) * MiB, bytesTotal: 20 * MiB, machines: machines(m1, m2) });

describe('buildProgressWriter', () => {
  it('draws the whole and a line per machine being written, redraws them in place, and clears them at the end', () => {
    const { io, err, setNow } = fakeIO({ stderrIsTTY: true });
    const w = buildProgressWriter(io, false);
    setNow(500);
    w.update!(at(1, 0));
    expect(err).toEqual([]); // not in the first second
    setNow(2000);
    w.update!(at(4, 2));
    expect(err).toEqual(['\r\u001b[J 30%  6/20 files  6.0 MiB of 20.0 MiB  3.0 MiB/s  4.7 s left\n  → m1  4/10 files  4.0 MiB of 10.0 MiB\n  → m2  2/10 files  2.0 MiB of 10.0 MiB']);
    setNow(2050);
    w.update!(at(5, 2));
    expect(err).toHaveLength(1); // at most every 100 ms
    setNow(3000);
    w.update!(at(10, 3));
    // Up two lines (three were drawn), cleared below, m1 done: no line for it.
    expect(err[1]).toBe('\u001b[2A\r\u001b[J 65%  13/20 files  13.0 MiB of 20.0 MiB  4.3 MiB/s  1.6 s left\n  → m2  3/10 files  3.0 MiB of 10.0 MiB');
    w.clear();
    expect(err[2]).toBe('\u001b[1A\r\u001b[J');
    w.clear();
    expect(err).toHaveLength(3);
    for (const text of err) for (const line of text.split('\n')) expect(line.replace(/\u001b\[\d*[AJ]|\r/g, '').length).toBeLessThanOrEqual(79);
  });

  it('writes nothing when stderr is not a terminal, or with --json', () => {
    for (const [tty, json] of [[false, false], [true, true]] as const) {
      const { io, err, setNow } = fakeIO({ stderrIsTTY: tty });
      const w = buildProgressWriter(io, json);
      setNow(5000);
      w.update?.(at(1, 1));
      w.clear();
      expect(err).toEqual([]);
    }
  });
});
