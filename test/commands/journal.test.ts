// End to end: `blat journal` shows what earlier applies left owed, per machine, oldest first.
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { type OwedDoc, useDocsMachines } from './support.js';

const SSH = ['m1', 'm2', 'm3'];
const machines = useDocsMachines(SSH);
const sandbox = machines.sandbox;


const journalFile = (box: Sandbox) => join(box.dir, '.blat', 'journal.jsonl');

describe('blat journal', () => {
  it('says nothing is owed before any apply, as text and as JSON', async () => {
    const box = await sandbox();
    try {
      const text = await runBlat(['journal'], { cwd: box.dir });
      expect(text).toEqual({ code: 0, stdout: 'Nothing is owed: every apply finished.\n', stderr: '' });
      const json = await runBlat(['journal', '--json'], { cwd: box.dir });
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ formatVersion: 1, owed: [] });
    } finally {
      await box.cleanup();
    }
  });

  it('lists deferred and stale items per machine, hostile names escaped, then clears them after a resume', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', '1700000000.5');
      await box.write('here', 'docs/new\nline.txt', 'nl\n', '1700000001.5');
      // m2 gets a stale step: the plan is saved, then m2 writes a.txt itself.
      await box.mkdir('m2', 'docs');
      expect((await runBlat(['plan', '--out', 'plan.json'], { cwd: box.dir })).code).toBe(0);
      await box.write('m2', 'docs/a.txt', 'm2 wrote this meanwhile\n', '1700000900.5');
      await machines.sshd.setOffline('m3', true);
      const applied = await runBlat(['apply', 'plan.json'], { cwd: box.dir });
      expect(applied.code).toBe(2);

      const json = await runBlat(['journal', '--json'], { cwd: box.dir });
      expect(json.code).toBe(0);
      const owed = (JSON.parse(json.stdout) as { formatVersion: number; owed: OwedDoc[] }).owed;
      expect(owed.map((o) => `${o.machine} ${o.kind} ${o.path}`)).toEqual([
        'm2 stale docs/a.txt',
        'm3 failed docs',
        'm3 failed docs/a.txt',
        'm3 failed docs/new\nline.txt',
      ]);
      expect(owed[0].reason).toMatch(/^m2 changed since the plan/);
      expect(owed[1].reason).toBe('m3 unreachable (refused)');
      for (const o of owed) expect(new Date(o.since).toISOString()).toBe(o.since);

      const text = await runBlat(['journal'], { cwd: box.dir });
      expect(text.code).toBe(0);
      expect(text.stderr).toBe('');
      const lines = text.stdout.split('\n');
      expect(lines[0]).toBe('m2: 1 owed');
      expect(lines[1]).toMatch(/^ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(.*\) {2}stale {4}docs\/a\.txt {2}— m2 changed since the plan/);
      expect(lines[2]).toBe('m3: 3 owed');
      // The newline in the name is shown escaped, on the item's own line.
      expect(lines[5]).toMatch(/ {2}failed {3}docs\/new\\nline\.txt {2}— m3 unreachable \(refused\)$/);
      expect(lines[6]).toBe('4 owed in all. Finish with: blat apply --resume');
      expect(lines.slice(7)).toEqual(['']);

      await machines.sshd.setOffline('m3', false);
      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(resumed.code).toBe(0);
      // m2's own edit was newer: it won, so everyone has it now, and nothing is owed.
      for (const m of ['here', 'm1', 'm2', 'm3']) expect(await box.read(m, 'docs/a.txt'), m).toBe('m2 wrote this meanwhile\n');
      expect(await box.read('m3', 'docs/new\nline.txt')).toBe('nl\n');
      expect((await runBlat(['journal'], { cwd: box.dir })).stdout).toBe('Nothing is owed: every apply finished.\n');
    } finally {
      await machines.sshd.setOffline('m3', false);
      await box.cleanup();
    }
  });

  it('reads a journal cut mid-record (a kill while writing): warns, lists the rest, and later applies still append', async () => {
    const box = await sandbox();
    try {
      await box.write('here', 'docs/a.txt', 'a\n', '1700000000.5');
      await machines.sshd.setOffline('m1', true);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: box.dir })).code).toBe(2);
      await machines.sshd.setOffline('m1', false);
      // What a kill in the middle of an append leaves: the start of a record, no newline.
      await appendFile(journalFile(box), '{"t":1700000000000,"event":"done","run":"x","step":{"act');

      const cut = await runBlat(['journal'], { cwd: box.dir });
      expect(cut.code).toBe(0);
      expect(cut.stderr).toMatch(/^warning: .*journal\.jsonl:\d+: incomplete last record ignored$/m);
      expect(cut.stdout).toMatch(/^m1: 2 owed$/m);

      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir });
      expect(resumed.code).toBe(0);
      expect(await box.read('m1', 'docs/a.txt')).toBe('a\n');
      // The resume rewrote the journal without the damaged line: every line is a whole record,
      // and the warning is not repeated by later reads.
      expect(resumed.stderr).toMatch(/incomplete last record ignored/);
      const lines = (await readFile(journalFile(box), 'utf8')).split('\n');
      expect(lines.some((l) => l.endsWith('"step":{"act'))).toBe(false);
      expect(lines.at(-1)).toBe('');
      for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
      const after = await runBlat(['journal'], { cwd: box.dir });
      expect(after.code).toBe(0);
      expect(after.stderr).toBe('');
      expect(after.stdout).toBe('Nothing is owed: every apply finished.\n');
    } finally {
      await machines.sshd.setOffline('m1', false);
      await box.cleanup();
    }
  });

  it('says which config it could not read, exit 1', async () => {
    const box = await sandbox();
    try {
      const r = await runBlat(['journal', '-c', 'missing.yaml'], { cwd: box.dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^blat: .*missing\.yaml/m);
      expect(r.stdout).toBe('');
    } finally {
      await box.cleanup();
    }
  });
});
