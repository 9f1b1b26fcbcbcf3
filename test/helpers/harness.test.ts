// Self-test of the real-parts harness: a real sshd, real ssh and rsync, real files.
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { quoteShell } from '../../src/transport/shellQuote.js';
import { runNodeScript } from './cli.js';
import { makeSandbox, type Sandbox } from './machines.js';
import { runProcess } from './proc.js';
import { readLoginUser, readRunDir } from './provided.js';
import { shareSshd, startSshd, type SshdHandle } from './sshd.js';
import { readStat, writeMtime } from './tree.js';

const HOSTILE = ['a b', "it's", '$(touch pwned)', 'new\nline', '-rf'];

let sshd: SshdHandle;
let sandbox: Sandbox;

beforeAll(async () => {
  sshd = await startSshd({ hosts: ['m1', 'm2'] });
  sandbox = await makeSandbox({ sshd, ssh: ['m1', 'm2'], local: ['here'], self: 'here', paths: ['docs'] });
});

afterAll(async () => {
  await sandbox?.cleanup();
  await sshd?.stop();
});

const ssh = (alias: string, command: string) => runProcess('ssh', ['-F', sshd.sshConfigFile, alias, command], { timeoutMs: 20_000 });

describe('startSshd', () => {
  it('logs in as the login user, with its home', async () => {
    const login = readLoginUser();
    if (process.getuid?.() === 0) expect(login.name).toBe('blattest');
    expect(sshd.user).toBe(login.name);
    const home = await ssh('m1', 'printf %s "$HOME"');
    expect(home).toEqual({ code: 0, stdout: login.home, stderr: '' });
    const who = await ssh('m1', 'id -un');
    expect(who.stdout).toBe(`${login.name}\n`);
  });

  it('gives a remote shell that prints exactly what was asked', async () => {
    expect(await ssh('m1', `sh -c 'echo $0'`)).toEqual({ code: 0, stdout: 'sh\n', stderr: '' });
    expect(await ssh('m2', 'printf "%s|" one two')).toEqual({ code: 0, stdout: 'one|two|', stderr: '' });
  });

  it('takes one alias offline and back, the others unaffected', async () => {
    await sshd.setOffline('m2', true);
    const refused = await ssh('m2', 'true');
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/Connection refused/);
    expect((await ssh('m1', 'true')).code).toBe(0);
    await sshd.setOffline('m2', false);
    expect(await ssh('m2', 'echo back')).toEqual({ code: 0, stdout: 'back\n', stderr: '' });
  });

  it('has a dead alias where nothing listens', async () => {
    const r = await ssh('dead', 'true');
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Connection refused/);
  });

  it('rejects an unknown alias for setOffline', async () => {
    await expect(sshd.setOffline('m9', true)).rejects.toThrow(/m9/);
  });
});

describe('shareSshd', () => {
  it("is one sshd for the worker's files, in the run's folder; stop() only brings every alias back online", async () => {
    const first = await shareSshd(['m1', 'm2']);
    const second = await shareSshd(['m3']);
    expect(second.port).toBe(first.port);
    expect(second.hosts).toEqual(['m3']);
    expect(join(first.dir, '..')).toBe(readRunDir());
    const sharedSsh = (alias: string) => runProcess('ssh', ['-F', first.sshConfigFile, '-o', 'ControlPath=none', alias, 'echo up'], { timeoutMs: 20_000 });
    await first.setOffline('m1', true);
    await second.setOffline('m3', true);
    expect((await sharedSsh('m1')).code).toBe(255);
    await first.stop();
    for (const alias of ['m1', 'm3']) expect(await sharedSsh(alias), alias).toEqual({ code: 0, stdout: 'up\n', stderr: '' });
    // Still running for the next file.
    expect((await shareSshd()).port).toBe(first.port);
  });

  it('refuses an alias it does not serve', async () => {
    await expect(shareSshd(['m1', 'm9'])).rejects.toThrow(/m9 not among m1, m2, m3; use startSshd/);
  });
});

describe('makeSandbox', () => {
  it('makes roots with spaces, ssh roots owned by the login user', async () => {
    const login = readLoginUser();
    expect(sandbox.root('m1')).toBe(join(sandbox.dir, 'roots', 'm1 root'));
    expect((await readStat(sandbox.root('m1'))).uid).toBe(login.uid);
    expect((await readStat(sandbox.root('m1'))).gid).toBe(login.gid);
    expect((await readStat(sandbox.root('here'))).uid).toBe(process.getuid?.());
    // The login user can write into its root over ssh.
    const r = await ssh('m1', `touch ${quoteShell(`${sandbox.root('m1')}/by-ssh`)} && echo ok`);
    expect(r).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    expect((await sandbox.stat('m1', 'by-ssh')).uid).toBe(login.uid);
    await sandbox.remove('m1', 'by-ssh');
    expect(await sandbox.exists('m1', 'by-ssh')).toBe(false);
  });

  it('writes a blat.yaml for the harness', async () => {
    const config = parse(await readFile(sandbox.configFile, 'utf8'));
    expect(config).toEqual({
      version: 1,
      self: 'here',
      paths: ['docs'],
      stateDir: '.blat',
      ssh: { configFile: sshd.sshConfigFile, connectTimeout: 3 },
      machines: {
        m1: { host: 'm1', root: sandbox.root('m1') },
        m2: { host: 'm2', root: sandbox.root('m2') },
        here: { transport: 'local', root: sandbox.root('here') },
      },
    });
    await sandbox.writeConfig({ self: null, machines: { m2: { state: 'outofuse' } } });
    const changed = parse(await readFile(sandbox.configFile, 'utf8'));
    expect(changed.self).toBeUndefined();
    expect(changed.machines.m2).toEqual({ host: 'm2', root: sandbox.root('m2'), state: 'outofuse' });
    await sandbox.writeConfig();
  });

  it('round-trips content and an mtime with nanoseconds, owning new dirs like the root', async () => {
    const login = readLoginUser();
    await sandbox.write('m1', 'docs/deep/er/note.txt', 'hello\n', '1700000000.123456789');
    expect(await sandbox.read('m1', 'docs/deep/er/note.txt')).toBe('hello\n');
    const st = await sandbox.stat('m1', 'docs/deep/er/note.txt');
    expect(st.mtimeNs).toBe(1700000000123456789n);
    expect(st.mtime).toBe(1700000000.123456789);
    expect(st).toMatchObject({ type: 'file', size: 6, uid: login.uid, gid: login.gid });
    expect((await sandbox.stat('m1', 'docs/deep')).uid).toBe(login.uid);
    await sandbox.write('m1', 'float.txt', 'x', 1712345678.5);
    expect((await sandbox.stat('m1', 'float.txt')).mtime).toBe(1712345678.5);
  });

  it('writes and lists hostile names exactly, here and over rsync to m2', async () => {
    for (const [i, name] of HOSTILE.entries()) await sandbox.write('here', `docs/${name}`, `content ${i}`, 1700000100 + i);
    await sandbox.symlink('here', 'docs/link', 'a b', 1700000200);
    await sandbox.mkdir('here', 'docs', 1700000300);
    const expected = [
      { path: 'docs', type: 'dir', size: 0, mtime: 1700000300 },
      ...HOSTILE.map((name, i) => ({ path: `docs/${name}`, type: 'file', size: `content ${i}`.length, mtime: 1700000100 + i })),
      { path: 'docs/link', type: 'symlink', size: 3, mtime: 1700000200, target: 'a b' },
    ].sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(await sandbox.listTree('here')).toEqual(expected);

    const rsh = `ssh -F ${sshd.sshConfigFile}`;
    const r = await runProcess('rsync', ['-a', '-e', rsh, '--', `${sandbox.root('here')}/docs`, `m2:${sandbox.root('m2')}/`], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await sandbox.listTree('m2')).toEqual(expected);
    for (const name of HOSTILE) expect((await sandbox.stat('m2', `docs/${name}`)).uid).toBe(readLoginUser().uid);
    for (const m of ['here', 'm1', 'm2']) expect(await sandbox.exists(m, 'pwned')).toBe(false);
  });

  it('refuses paths that leave the root', async () => {
    await expect(sandbox.write('here', '../escape', 'x')).rejects.toThrow(/bad relative path/);
    await expect(sandbox.read('nowhere', 'x')).rejects.toThrow(/no machine "nowhere"/);
  });
});

describe('writeMtime', () => {
  it('sets atime and mtime to the nanosecond, whole seconds, halves or not, on a file, a folder and a symlink itself', async () => {
    await sandbox.write('here', 'times/f', 'x');
    await sandbox.mkdir('here', 'times/d');
    await sandbox.symlink('here', 'times/l', 'f');
    await writeMtime(join(sandbox.root('here'), 'times/f'), '1600000000.5');
    // Whole and dyadic seconds (set by lutimes), others (set by touch): each read back exact.
    const cases: [number | string, bigint][] = [
      [1700000000, 1700000000000000000n],
      [1700000100.25, 1700000100250000000n],
      [1700000000.1, 1700000000100000000n],
      ['1700000000.5', 1700000000500000000n],
      ['1700000000.123456789', 1700000000123456789n],
      ['1700000000.000000001', 1700000000000000001n],
    ];
    for (const path of ['times/d', 'times/l', 'times/f']) {
      for (const [mtime, ns] of cases) {
        await writeMtime(join(sandbox.root('here'), path), mtime);
        const st = await lstat(join(sandbox.root('here'), path), { bigint: true });
        expect([st.mtimeNs, st.atimeNs], `${path} ${mtime}`).toEqual([ns, ns]);
        if (path === 'times/l') expect((await sandbox.stat('here', 'times/f')).mtimeNs, 'the link is not followed').toBe(1600000000500000000n);
      }
    }
  });
});

describe('runNodeScript', () => {
  it('runs with NO_COLOR, without BLAT_SELF unless given, with stdin and the exit code', async () => {
    const script = join(sandbox.dir, 'probe.mjs');
    await writeFile(
      script,
      `let input = ''; for await (const c of process.stdin) input += c;
       console.log(JSON.stringify({ self: process.env.BLAT_SELF ?? null, noColor: process.env.NO_COLOR, cwd: process.cwd(), args: process.argv.slice(2), input }));
       process.exit(3);`,
    );
    const saved = process.env.BLAT_SELF;
    process.env.BLAT_SELF = 'from-parent';
    try {
      const r = await runNodeScript(script, ['plan', '-x y'], { cwd: sandbox.root('here'), input: 'yes\n' });
      expect(r.code).toBe(3);
      expect(JSON.parse(r.stdout)).toEqual({ self: null, noColor: '1', cwd: sandbox.root('here'), args: ['plan', '-x y'], input: 'yes\n' });
      const given = await runNodeScript(script, [], { cwd: sandbox.dir, env: { BLAT_SELF: 'm1' } });
      expect(JSON.parse(given.stdout)).toMatchObject({ self: 'm1', input: '' });
    } finally {
      if (saved === undefined) delete process.env.BLAT_SELF;
      else process.env.BLAT_SELF = saved;
    }
  });
});
