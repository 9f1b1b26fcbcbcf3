import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlatError } from '../../src/errors.js';
import { readMachineStates, updateMachineStates, withProbes, withoutProbes, writeMachineStates } from '../../src/state/machineState.js';
import type { MachineStateRecord } from '../../src/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-mstate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<BlatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BlatError);
  return error as BlatError;
}

describe('readMachineStates / writeMachineStates', () => {
  it('gives every machine `unknown` when there is no state.json', async () => {
    expect(await readMachineStates(join(dir, 'missing'), ['b', 'a'])).toEqual([
      { name: 'b', state: 'unknown' },
      { name: 'a', state: 'unknown' },
    ]);
  });

  it('round-trips, follows the configured order, drops unconfigured machines and adds new ones as unknown', async () => {
    const records: MachineStateRecord[] = [
      { name: 'spencer', state: 'online', os: 'linux', lastSeenMs: 1_700_000_000_000, clockOffsetMs: -12 },
      { name: 'dimboola', state: 'offline', os: 'darwin', reason: 'connection timed out', lastSeenMs: 1_600_000_000_000 },
      { name: 'gone', state: 'outofuse' },
    ];
    await writeMachineStates(join(dir, '.blat'), records);
    expect(await readdir(join(dir, '.blat'))).toEqual(['state.json']);
    const json = JSON.parse(await readFile(join(dir, '.blat', 'state.json'), 'utf8'));
    expect(json.formatVersion).toBe(1);
    expect(json.machines).toHaveLength(3);
    expect(await readMachineStates(join(dir, '.blat'), ['hamilton', 'dimboola', 'spencer'])).toEqual([
      { name: 'hamilton', state: 'unknown' },
      records[1],
      records[0],
    ]);
  });

  it('names the file when state.json is not valid JSON', async () => {
    const file = join(dir, 'state.json');
    await writeFile(file, '{"formatVersion": 1, "machines": [');
    const error = await rejection(readMachineStates(dir, ['a']));
    expect(error.summary).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(.+\\); delete it to start afresh$`));
  });

  it('names the file and the record when state.json has the wrong shape', async () => {
    const file = join(dir, 'state.json');
    await writeFile(file, JSON.stringify({ formatVersion: 1, machines: [{ name: 'a', state: 'asleep' }] }));
    const error = await rejection(readMachineStates(dir, ['a']));
    expect(error.summary).toBe(`${file}: not a blat state file (machines[0].state is "asleep"); delete it to start afresh`);
    await writeFile(file, JSON.stringify({ formatVersion: 2, machines: [] }));
    expect((await rejection(readMachineStates(dir, ['a']))).summary).toContain('formatVersion 2, expected 1');
  });
});

describe('root probes in state.json', () => {
  const probe = { root: '/usb', probedMs: 5, caseInsensitive: true, normalizes: false, mtimeWindow: 2, chmod: false, fixedModes: { file: 0o700, dir: 0o700 }, renameKeepsMtime: false as const, symlinks: false as const, refusedNames: { chars: ':?', controls: true as const, nonUtf8: true as const, nonAscii: true as const } };
  it('are kept through state.json and through every later scan (online, offline, outofuse)', async () => {
    const records = withProbes([{ name: 'usb', state: 'unknown' }], new Map([['usb', probe]]));
    await writeMachineStates(join(dir, '.blat'), records);
    const read = await readMachineStates(join(dir, '.blat'), ['usb']);
    expect(read).toEqual([{ name: 'usb', state: 'unknown', probe }]);
    for (const obs of [{ name: 'usb', status: 'online', clockOffsetMs: 0 }, { name: 'usb', status: 'offline', reason: 'x' }, { name: 'usb', status: 'outofuse' }] as const) {
      expect(updateMachineStates(read, [obs], 9)[0].probe).toEqual(probe);
    }
  });
  it('withoutProbes drops the named machines\' probes (apply --new whose probe failed), the rest unchanged', () => {
    const records = withProbes([{ name: 'usb', state: 'online' }, { name: 'a', state: 'online' }], new Map([['usb', probe], ['a', { ...probe, root: '/a' }]]));
    expect(withoutProbes(records, ['usb'])).toEqual([{ name: 'usb', state: 'online' }, records[1]]);
  });
  it('a malformed probe is a clear error naming the file', async () => {
    await writeFile(join(dir, 'state.json'), JSON.stringify({ formatVersion: 1, machines: [{ name: 'usb', state: 'online', probe: { root: 3 } }] }));
    await expect(readMachineStates(dir, ['usb'])).rejects.toThrow(/machines\[0\]\.probe is not a probe result/);
  });
});

describe('updateMachineStates', () => {
  const previous: MachineStateRecord[] = [
    { name: 'a', state: 'offline', os: 'linux', reason: 'refused', lastSeenMs: 100, clockOffsetMs: 5 },
    { name: 'b', state: 'online', os: 'darwin', lastSeenMs: 200, clockOffsetMs: 7 },
    { name: 'c', state: 'unknown' },
    { name: 'd', state: 'online', os: 'linux', lastSeenMs: 300 },
  ];

  it('online takes now, the OS and clock offset; offline keeps last seen and OS with the new reason; outofuse keeps the rest', () => {
    const next = updateMachineStates(
      previous,
      [
        { name: 'a', status: 'online', os: 'linux', clockOffsetMs: -3 },
        { name: 'b', status: 'offline', reason: 'connection timed out' },
        { name: 'c', status: 'outofuse' },
      ],
      9_000,
    );
    expect(next).toEqual([
      { name: 'a', state: 'online', os: 'linux', lastSeenMs: 9_000, clockOffsetMs: -3 },
      { name: 'b', state: 'offline', os: 'darwin', reason: 'connection timed out', lastSeenMs: 200, clockOffsetMs: 7 },
      { name: 'c', state: 'outofuse' },
      { name: 'd', state: 'online', os: 'linux', lastSeenMs: 300 },
    ]);
  });

  it('keeps the known OS when an online observation has none, and appends machines it did not know', () => {
    const next = updateMachineStates(previous, [{ name: 'b', status: 'online' }, { name: 'new', status: 'offline', reason: 'no route' }], 1);
    expect(next[1]).toEqual({ name: 'b', state: 'online', os: 'darwin', lastSeenMs: 1 });
    expect(next[4]).toEqual({ name: 'new', state: 'offline', reason: 'no route' });
    expect(next.map((r) => r.name)).toEqual(['a', 'b', 'c', 'd', 'new']);
  });

  it('a machine whose root is missing answered: last seen now, its OS, and rootMissing kept through state.json', async () => {
    const next = updateMachineStates(previous, [{ name: 'b', status: 'offline', reason: 'root missing: disk not mounted, or a wrong root? (/r)', os: 'linux', rootMissing: true }], 9_000);
    expect(next[1]).toEqual({ name: 'b', state: 'offline', os: 'linux', reason: 'root missing: disk not mounted, or a wrong root? (/r)', lastSeenMs: 9_000, clockOffsetMs: 7, rootMissing: true });
    await writeMachineStates(join(dir, '.blat'), next);
    expect((await readMachineStates(join(dir, '.blat'), ['b']))[0]).toEqual(next[1]);
  });

  it('does not modify its input', () => {
    const copy = structuredClone(previous);
    updateMachineStates(previous, [{ name: 'a', status: 'online' }], 5);
    expect(previous).toEqual(copy);
  });
});
