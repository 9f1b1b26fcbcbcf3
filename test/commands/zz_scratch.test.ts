import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile, mkdtemp, chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

let sshd: SshdHandle, box: Sandbox;
beforeAll(async () => {
  sshd = await startSshd({ hosts: ['m1', 'm2', 'm3'] });
  box = await makeSandbox({ sshd, ssh: ['m1', 'm2', 'm3', 'dead'], local: ['here'], self: 'here', paths: ['docs'], extraConfig: { machines: { dead: { state: 'outofuse' } } } });
});
afterAll(async () => { await box?.cleanup(); await sshd?.stop(); });
it('explore', async () => {
  const wrap = await mkdtemp(join(tmpdir(), 'wrap-'));
  await writeFile(join(wrap, 'ssh'), '#!/bin/sh\nprintf "%s\\n" "$*" >> "$SSH_LOG"\nexec /usr/bin/ssh "$@"\n');
  await chmod(join(wrap, 'ssh'), 0o755);
  const env = { PATH: `${wrap}:${process.env.PATH}`, SSH_LOG: join(wrap, 'log') };
  const names = ['a b', "it's", '$(touch /tmp/blat-pwned-x)', 'new\nline', '-rf'];
  for (const [i, n] of names.entries()) await box.write('here', `docs/${n}`, `c${i}`, 1700000000 + i);
  await box.write('m2', 'docs/newer.txt', 'newer', 1700001000);
  await box.write('here', 'docs/newer.txt', 'old', 1700000000);
  await sshd.setOffline('m3', true);
  for (const args of [['plan'], ['plan', '--json'], ['plan', '--detailed-exitcode'], ['machines'], ['machines', '--probe'], ['machines', '--json']]) {
    const r = await runBlat(args, { cwd: box.dir, env });
    console.log(args.join(' '), r.code, '\n', r.stdout, '\nSTDERR:', r.stderr);
  }
  console.log(await readFile(join(wrap, 'log'), 'utf8'));
});
