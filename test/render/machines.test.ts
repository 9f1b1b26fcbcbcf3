import { describe, it, expect } from 'vitest';
import { buildMachinesDocument, renderMachinesText } from '../../src/render/machines.js';
import type { MachineStateRecord } from '../../src/types.js';
import { NOW_MS } from './fixtures.js';

const rows: MachineStateRecord[] = [
  { name: 'a', state: 'online', os: 'linux', lastSeenMs: NOW_MS - 3_000, clockOffsetMs: 40 },
  { name: 'b', state: 'offline', os: 'darwin', reason: 'timeout', lastSeenMs: NOW_MS - 2 * 3_600_000 - 5_000, clockOffsetMs: -3_250 },
  { name: 'c', state: 'outofuse', lastSeenMs: NOW_MS - 5 * 86_400_000 },
  { name: 'd', state: 'unknown' },
  { name: 'e', state: 'online', lastSeenMs: NOW_MS - 42_000 },
  { name: 'f', state: 'online', lastSeenMs: NOW_MS - 7 * 60_000 },
];

function row(text: string, name: string): string {
  const found = text.split('\n').filter((l) => l.startsWith(`│ ${name} `));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('renderMachinesText', () => {
  const text = renderMachinesText(rows, { color: false, nowMs: NOW_MS, selfName: 'a' });

  it('shows name, state, os, last seen relative to now, clock offset and reason', () => {
    expect(text).toMatch(/│ machine +│ state +│ os +│ last seen +│ clock +│ reason +│/);
    expect(row(text, 'a (self)')).toMatch(/│ a \(self\) +│ online +│ linux +│ just now +│ \+0\.0 s +│ +│/);
    expect(row(text, 'b')).toMatch(/│ b +│ offline +│ darwin +│ 2 h ago +│ -3\.3 s +│ timeout +│/);
    expect(row(text, 'c')).toMatch(/│ c +│ outofuse +│ +│ 5 d ago +│/);
    expect(row(text, 'd')).toMatch(/│ d +│ unknown +│ +│ never +│/);
    expect(row(text, 'e')).toContain('│ 42 s ago ');
    expect(row(text, 'f')).toContain('│ 7 min ago ');
  });

  it('escapes hostile names and reasons and keeps each machine on one row', () => {
    const out = renderMachinesText([{ name: 'x\u001b[2J', state: 'offline', reason: 'bad\nhost\u202e' }], { color: false, nowMs: NOW_MS });
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\u202e');
    expect(row(out, 'x\\x1b[2J')).toContain('bad\\nhost\\u202e');
  });

  it('colours states only when asked', () => {
    expect(text).not.toContain('\u001b');
    const colored = renderMachinesText(rows, { color: true, nowMs: NOW_MS, selfName: 'a' });
    expect(colored).toContain('\u001b[32monline\u001b[39m');
    expect(colored).toContain('\u001b[31moffline\u001b[39m');
    expect(colored.replace(/\u001b\[\d+m/g, '')).toBe(text);
  });
});

describe('buildMachinesDocument', () => {
  it('writes one object per row with only known fields and ISO last-seen', () => {
    const doc = buildMachinesDocument(rows.slice(0, 4));
    expect(doc).toEqual({
      formatVersion: 1,
      machines: [
        { name: 'a', state: 'online', os: 'linux', lastSeen: '2024-05-01T11:59:57.000Z', lastSeenMs: NOW_MS - 3_000, clockOffsetMs: 40 },
        { name: 'b', state: 'offline', os: 'darwin', reason: 'timeout', lastSeen: '2024-05-01T09:59:55.000Z', lastSeenMs: NOW_MS - 7_205_000, clockOffsetMs: -3_250 },
        { name: 'c', state: 'outofuse', lastSeen: '2024-04-26T12:00:00.000Z', lastSeenMs: NOW_MS - 432_000_000 },
        { name: 'd', state: 'unknown' },
      ],
    });
    expect(Object.keys(doc.machines[3])).toEqual(['name', 'state']);
  });
});
