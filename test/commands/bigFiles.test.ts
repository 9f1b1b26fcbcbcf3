// End to end: big files over slow links. A cut transfer resumes from what the receiver kept (rsync
// --partial-dir inside .blat-tmp); a sparse file arrives sparse; a compressed link carries files.
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quoteShell } from '../../src/transport/shellQuote.js';
import { runBlat } from '../helpers/cli.js';
import { writeMtime } from '../helpers/tree.js';
import { endRsyncUnder, readSha256, startBlatInBackground, useDocsMachines, waitFor, writeRandomFile } from './support.js';

const machines = useDocsMachines(['m1']);

const BIG = 8 * 1024 * 1024;

/** A PATH folder whose rsync logs (--log-file) what each run sent, and how to read the bytes sent. */
async function makeRsyncLogger(): Promise<{ env: Record<string, string>; sentBytes(): Promise<number[]>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'blat-rsynclog-'));
  const real = execFileSync('sh', ['-c', 'command -v rsync']).toString().trim();
  const log = join(dir, 'rsync.log');
  await writeFile(join(dir, 'rsync'), `#!/bin/sh\nexec ${quoteShell(real)} --log-file=${quoteShell(log)} "$@"\n`);
  await chmod(join(dir, 'rsync'), 0o755);
  return {
    env: { PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` },
    async sentBytes() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return [...text.matchAll(/sent ([\d,]+) bytes/g)].map((m) => Number(m[1].replace(/,/g, '')));
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

describe('big files over slow links', () => {
  it('a transfer cut midway keeps what arrived in .blat-tmp/partial, and the resume sends only the rest', async () => {
    const box = await machines.sandbox();
    const logger = await makeRsyncLogger();
    try {
      // 4 MiB/s to m1: the 8 MiB file takes about 2 s.
      await box.writeConfig({ machines: { m1: { bwlimit: 4096 } } });
      const big = join(box.root('here'), 'docs', 'big.bin');
      await box.write('here', 'docs/small.txt', 'small\n', '1700000001.5');
      await writeRandomFile(big, BIG);
      await writeMtime(big, '1700000500.123456789');
      const sha = await readSha256(big);

      const run = startBlatInBackground(['apply', '--auto-approve'], box.dir);
      const temp = join(box.root('m1'), '.blat-tmp');
      try {
        // Cut once a quarter of it has arrived.
        await waitFor('a quarter of big.bin in m1/.blat-tmp', async () => {
          for (const name of await readdir(temp).catch(() => [] as string[])) {
            if (name.startsWith('big.bin.') && (await stat(join(temp, name)).catch(() => null))!?.size >= BIG / 4) return name;
          }
          return undefined;
        });
      } finally {
        run.killGroup();
      }
      await run.ended;
      await endRsyncUnder(box.dir);
      // m1's rsync saw its connection close and kept what it had received in the partial folder.
      const partial = await stat(join(temp, 'partial', 'big.bin'));
      expect(partial.size).toBeGreaterThanOrEqual(BIG / 4);
      expect(partial.size).toBeLessThan(BIG);
      expect(await box.exists('m1', 'docs/big.bin')).toBe(false);

      await box.writeConfig(); // full speed for the resume: what it sends is counted, not timed
      const resumed = await runBlat(['apply', '--resume', '--auto-approve'], { cwd: box.dir, env: logger.env, timeoutMs: 60_000 });
      expect(resumed.code).toBe(0);
      expect(await readSha256(join(box.root('m1'), 'docs', 'big.bin'))).toBe(sha);
      // Only the rest crossed the link: what m1 had kept was not sent again.
      const sent = await logger.sentBytes();
      expect(sent.length).toBeGreaterThan(0);
      const total = sent.reduce((a, b) => a + b, 0);
      expect(total).toBeLessThan(BIG - partial.size / 2);
      // The partial file served its purpose and is gone.
      expect(await readdir(join(temp, 'partial')).catch(() => [])).toEqual([]);
    } finally {
      await logger.cleanup();
      await box.cleanup();
    }
  });

  it('a sparse file arrives sparse, over a compressed link', async () => {
    const box = await machines.sandbox();
    try {
      await box.writeConfig({ machines: { m1: { compress: true } } });
      const sparse = join(box.root('here'), 'docs', 'disk.img');
      await box.write('here', 'docs/disk.img', 'header\n', '1700000000');
      // 16 MiB, of which only the first and last bytes were written.
      execFileSync('truncate', ['-s', String(16 * 1024 * 1024), sparse]);
      execFileSync('sh', ['-c', `printf tail >> ${quoteShell(sparse)}`]);
      await writeMtime(sparse, '1700000600.25');
      const here = await stat(sparse);
      expect(here.blocks * 512).toBeLessThan(here.size / 4); // the filesystem keeps holes

      const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
      expect(r.code).toBe(0);
      const there = await stat(join(box.root('m1'), 'docs', 'disk.img'));
      expect(there.size).toBe(here.size);
      expect(await readSha256(join(box.root('m1'), 'docs', 'disk.img'))).toBe(await readSha256(sparse));
      expect(there.blocks * 512).toBeLessThan(here.size / 4);
    } finally {
      await box.cleanup();
    }
  });
});
