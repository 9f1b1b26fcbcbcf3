// End to end: `blat machines [--probe] [--json]` and the state table in STATEDIR/state.json.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { shareSshd, type SshdHandle } from '../helpers/sshd.js';
import { makeToolSpy, type ToolSpy } from './toolSpy.js';
import { makeSandboxWithDead } from './support.js';

interface Row {
  name: string;
  state: string;
  os?: string;
  reason?: string;
  lastSeen?: string;
  lastSeenMs?: number;
  clockOffsetMs?: number;
}

let sshd: SshdHandle;
let box: Sandbox;
let spy: ToolSpy;
let stateFile: string;

beforeAll(async () => {
  sshd = await shareSshd(['m1', 'm2', 'm3']);
  spy = await makeToolSpy();
  box = await makeSandboxWithDead(sshd, ['m1', 'm2', 'm3']);
  stateFile = join(box.dir, '.blat', 'state.json');
});

afterAll(async () => {
  await box?.cleanup();
  await spy?.cleanup();
  await sshd?.stop();
});

/** `blat machines --json` parsed, with the ssh hosts it contacted. */
async function machinesJson(...args: string[]): Promise<{ rows: Row[]; hosts: string[] }> {
  await spy.reset();
  const r = await runBlat(['machines', '--json', ...args], { cwd: box.dir, env: spy.env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as { formatVersion: number; machines: Row[] };
  expect(Object.keys(doc).sort()).toEqual(['formatVersion', 'machines']);
  expect(doc.formatVersion).toBe(1);
  for (const row of doc.machines) {
    // Only the documented keys, with the documented types.
    for (const key of Object.keys(row)) expect(['name', 'state', 'os', 'reason', 'lastSeen', 'lastSeenMs', 'clockOffsetMs']).toContain(key);
    expect(['online', 'offline', 'outofuse', 'unknown']).toContain(row.state);
    if (row.lastSeen !== undefined) {
      expect(row.lastSeen).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(row.lastSeen)).toBe(row.lastSeenMs);
    }
  }
  return { rows: doc.machines, hosts: await spy.sshHosts() };
}

describe('blat machines', () => {
  it('shows every machine as unknown before the first contact (outofuse as declared), contacting nothing', async () => {
    await spy.reset();
    const text = await runBlat(['machines'], { cwd: box.dir, env: spy.env });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/│ machine +│ state +│ os +│ last seen +│ clock +│ reason +│/);
    for (const name of ['m1', 'm2', 'm3']) expect(text.stdout).toMatch(new RegExp(`│ ${name} +│ unknown +│ +│ never +│ +│ +│`));
    expect(text.stdout).toMatch(/│ dead +│ outofuse +│ +│ never +│/);
    expect(text.stdout).toMatch(/│ here \(self\) +│ unknown +│ +│ never +│/);
    expect(await spy.calls('ssh')).toEqual([]);

    const { rows, hosts } = await machinesJson();
    expect(rows).toEqual([
      { name: 'm1', state: 'unknown' },
      { name: 'm2', state: 'unknown' },
      { name: 'm3', state: 'unknown' },
      { name: 'dead', state: 'outofuse' },
      { name: 'here', state: 'unknown' },
    ]);
    expect(hosts).toEqual([]);
    // Showing the table writes nothing.
    expect(existsSync(stateFile)).toBe(false);
  });

  it('--probe contacts every machine in use once: online, offline with its reason, outofuse never contacted; state.json written', async () => {
    await sshd.setOffline('m2', true);
    let probed: Row[];
    try {
      await spy.reset();
      const text = await runBlat(['machines', '--probe'], { cwd: box.dir, env: spy.env });
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/│ m1 +│ online +│ linux +│ just now +│ [+-]\d+\.\d s +│ +│/);
      expect(text.stdout).toMatch(/│ m2 +│ offline +│ +│ never +│ +│ refused +│/);
      expect(text.stdout).toMatch(/│ dead +│ outofuse +│ +│ never +│ +│ +│/);
      expect(text.stdout).toMatch(/│ here \(self\) +│ online +│ linux +│ just now +│/);
      expect(text.stdout).not.toMatch(/unknown/);
      expect(await spy.sshHosts()).toEqual(['m1', 'm2', 'm3']);

      const probe = await machinesJson('--probe');
      probed = probe.rows;
      expect(probe.hosts).toEqual(['m1', 'm2', 'm3']);
    } finally {
      await sshd.setOffline('m2', false);
    }
    const online = { state: 'online', os: 'linux', lastSeen: expect.any(String), lastSeenMs: expect.any(Number), clockOffsetMs: expect.any(Number) };
    expect(probed).toEqual([
      { name: 'm1', ...online },
      { name: 'm2', state: 'offline', reason: 'refused' },
      { name: 'm3', ...online },
      { name: 'dead', state: 'outofuse' },
      { name: 'here', ...online },
    ]);

    // state.json holds the table; a later `machines` reads it without contacting anything.
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { formatVersion: number; machines: Row[] };
    expect(state.formatVersion).toBe(1);
    expect(state.machines.map((m) => [m.name, m.state, m.reason ?? null])).toEqual([
      ['m1', 'online', null],
      ['m2', 'offline', 'refused'],
      ['m3', 'online', null],
      ['dead', 'outofuse', null],
      ['here', 'online', null],
    ]);
    expect(state.machines.find((m) => m.name === 'm1')?.lastSeenMs).toBe(probed.find((m) => m.name === 'm1')?.lastSeenMs);
    const again = await machinesJson();
    expect(again.hosts).toEqual([]);
    expect(again.rows).toEqual(probed);

    // Back online: the next probe says so.
    const back = await machinesJson('--probe');
    expect(back.rows.find((m) => m.name === 'm2')).toEqual({ name: 'm2', ...online });
    expect(back.rows.find((m) => m.name === 'm1')!.lastSeenMs!).toBeGreaterThanOrEqual(probed.find((m) => m.name === 'm1')!.lastSeenMs!);
  });

  it('a plan records what it saw too: an offline machine keeps its last-seen time', async () => {
    const before = (await machinesJson()).rows.find((m) => m.name === 'm3')!;
    expect(before.state).toBe('online');
    await sshd.setOffline('m3', true);
    try {
      const plan = await runBlat(['plan'], { cwd: box.dir });
      expect(plan.code).toBe(0);
    } finally {
      await sshd.setOffline('m3', false);
    }
    const after = (await machinesJson()).rows.find((m) => m.name === 'm3')!;
    expect(after).toEqual({ name: 'm3', state: 'offline', reason: 'refused', os: 'linux', lastSeen: before.lastSeen, lastSeenMs: before.lastSeenMs, clockOffsetMs: before.clockOffsetMs });
  });

  it('a damaged state.json is one clear line and exit 1', async () => {
    await writeFile(stateFile, '{"formatVersion": 1, "machines": [{"name": "m1", "state": "sleepy"}]}');
    const r = await runBlat(['machines'], { cwd: box.dir });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`blat: ${stateFile}: not a blat state file (machines[0].state is "sleepy"); delete it to start afresh\n`);
    expect(r.code).toBe(1);
    await writeFile(stateFile, 'garbage');
    const g = await runBlat(['machines', '--json'], { cwd: box.dir });
    expect(g.stdout).toBe('');
    expect(g.stderr).toMatch(new RegExp(`^blat: ${stateFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(.*\\); delete it to start afresh\\n$`));
    expect(g.code).toBe(1);
  });
});
