import { describe, expect, it } from 'vitest';
import { buildTrashDocument, renderTrashText, type MachineTrash } from '../../src/render/trash.js';

const NOW = Date.UTC(2024, 4, 3, 12, 0, 0);
const trash: MachineTrash[] = [
  {
    machine: 'm1',
    kept: [
      { run: '2024-05-01T12-00-00-000Z', path: 'docs/a.txt', type: 'file', mtime: 1_714_000_000, size: 2048 },
      { run: '2024-05-03T11-00-00-000Z', path: 'docs/z\u001b[2J.txt', type: 'file', mtime: 1_714_100_000, size: 10 },
      { run: '2024-05-03T11-00-00-000Z', path: 'docs/link', type: 'symlink', mtime: 1_714_100_000, size: 4 },
    ],
  },
  { machine: 'm2', problem: 'unreachable: timeout' },
  { machine: 'here', kept: [] },
];

describe('renderTrashText', () => {
  const text = renderTrashText(trash, { color: false, nowMs: NOW });
  const lines = text.trimEnd().split('\n');

  it('lists each kept version, newest run first: machine, run, how long ago, path (escaped), size, mtime', () => {
    const rows = lines.filter((l) => l.startsWith('│ m1'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/│ m1 +│ 2024-05-03T11-00-00-000Z +│ 1 h ago +│ docs\/link +│ link +│/);
    expect(rows[1]).toContain('docs/z\\x1b[2J.txt');
    expect(rows[2]).toMatch(/│ m1 +│ 2024-05-01T12-00-00-000Z +│ 2 d ago +│ docs\/a\.txt +│ 2\.0 KiB +│ 2024-04-24T23:06:40Z │/);
    expect(text).not.toContain('\u001b');
  });

  it('says which machines were not listed, and counts what is kept', () => {
    expect(lines[0]).toBe('m2: not listed (unreachable: timeout)');
    expect(lines.at(-2)).toBe('3 versions kept on 1 machine (2.0 KiB).');
    expect(lines.at(-1)).toBe('Put one back with: blat trash restore PATH --machine MACHINE [--run RUN]');
  });

  it('says when nothing is kept', () => {
    expect(renderTrashText([{ machine: 'here', kept: [] }], { color: false, nowMs: NOW })).toBe('Nothing is kept in trash on the machines listed.\n');
  });
});

describe('buildTrashDocument', () => {
  it('has every machine (listed or why not) and every kept version with its run time', () => {
    const doc = buildTrashDocument(trash) as { machines: object[]; kept: { machine: string; run: string; time: string; path: string }[] };
    expect(doc.machines).toEqual([{ name: 'm1', listed: true }, { name: 'm2', listed: false, reason: 'unreachable: timeout' }, { name: 'here', listed: true }]);
    expect(doc.kept[2]).toEqual({ machine: 'm1', run: '2024-05-01T12-00-00-000Z', time: '2024-05-01T12:00:00.000Z', path: 'docs/a.txt', type: 'file', size: 2048, mtime: 1_714_000_000 });
    expect(doc.kept[1].path).toBe('docs/z\u001b[2J.txt');
  });
});
