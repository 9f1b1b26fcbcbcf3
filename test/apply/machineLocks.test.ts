import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm as rmDir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { describeSince, takeMachineLocks } from '../../src/apply/machineLocks.js';
import { readConfig } from '../../src/config/readConfig.js';
import { quoteShell } from '../../src/transport/shellQuote.js';
import { withFakeCommand } from '../helpers/fakeCommand.js';

describe('describeSince', () => {
  const now = Date.parse('2026-11-27T15:00:00Z');
  it('is the UTC time of a lock taken today, with its date when taken another day', () => {
    expect(describeSince('2026-11-27T13:02:11.000Z', now)).toBe('13:02:11 UTC');
    expect(describeSince('2026-11-26T23:59:59.999Z', now)).toBe('2026-11-26 23:59:59 UTC');
  });
  it('is nothing for an owner line without a time, or with something else in its place', () => {
    expect(describeSince(undefined, now)).toBeUndefined();
    expect(describeSince('yesterday', now)).toBeUndefined();
    expect(describeSince('1700000000', now)).toBeUndefined();
  });
});

describe('takeMachineLocks interrupted', () => {
  it('releases a lock whose take the signal cut after the machine made it (its answer lost)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blat-locks-'));
    try {
      const root = join(dir, 'here');
      await mkdir(root);
      const file = join(dir, 'blat.yaml');
      await writeFile(file, `version: 1\nname: docs-set\nself: here\npaths: [docs]\nmachines:\n  here: { transport: local, root: ${JSON.stringify(root)} }\n`);
      const config = await readConfig(file);
      const lock = join(root, '.blat', 'sets', 'docs-set', 'lock');
      const stopped = join(dir, 'stopped');
      // The take removes the machine's seen lines once the lock is made: that rm, and only it, hangs
      // there, so the signal lands between the lock made and "taken" sent back.
      const rm = `case "$*" in *seen-*) : > ${quoteShell(stopped)}; exec sleep 5;; esac; exec /bin/rm "$@"`;
      await withFakeCommand('rm', rm, async () => {
        const controller = new AbortController();
        const holder = { host: 'this-host', pid: process.pid, run: 'run-1', nowMs: Date.now() };
        const taking = takeMachineLocks(config, 'here', [], ['here'], holder, controller.signal, new Set(['here']));
        for (let i = 0; i < 200 && !existsSync(stopped); i++) await sleep(25);
        expect(existsSync(join(lock, 'owner'))).toBe(true);
        controller.abort();
        const locks = await taking;
        expect(locks.machines).toEqual([]);
        await locks.release();
        expect(existsSync(lock)).toBe(false);
      });
    } finally {
      await rmDir(dir, { recursive: true, force: true });
    }
  });
});
