import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRsyncArgs, buildTimesPassArgs, startRsync, TRANSFER_TEMP_DIR, type RsyncEndpoint } from '../../src/transport/rsync.js';
import { buildRsyncRsh } from '../../src/transport/sshArgs.js';
import { withFakeCommand } from '../helpers/fakeCommand.js';

const dir = mkdtempSync(join(tmpdir(), "blat rsync 'test' "));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildRsyncRsh', () => {
  it('survives rsync\'s own splitting of -e: the fake ssh receives exactly our words', () => {
    // A stand-in for ssh that records its arguments, one per line, then fails.
    const plain = mkdtempSync(join(tmpdir(), 'blat-fake-ssh-'));
    const argsFile = join(plain, 'args');
    const fakeSsh = join(plain, 'ssh');
    writeFileSync(fakeSsh, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${argsFile}\nexit 1\n`);
    chmodSync(fakeSsh, 0o755);
    const words = ['-F', join(dir, "ssh config with 'quotes' and \"doubles\""), '-o', 'ControlPath=/tmp/x y/%C', '-o', 'ConnectTimeout=3'];
    // What blat passes to -e, with its leading `ssh` pointed at the recorder.
    const rsh = buildRsyncRsh(words).replace(/^ssh /, `${fakeSsh} `);
    spawnSync('rsync', ['-a', '-e', rsh, 'somehost:/nowhere/', join(dir, 'dest')], { encoding: 'utf8' });
    const received = readFileSync(argsFile, 'utf8').split('\n');
    rmSync(plain, { recursive: true, force: true });
    expect(received.slice(0, words.length)).toEqual(words);
    expect(received[words.length]).toBe('somehost');
  });
});

describe('buildRsyncArgs', () => {
  it('keeps times, sends the list NUL-separated on stdin, writes through the temp folder, and ends options before the roots', () => {
    const args = buildRsyncArgs({
      from: { kind: 'local', root: '/r/a' },
      to: { kind: 'ssh', host: 'm2', root: '/r/-b c' },
      paths: [],
      sshOptions: ['-o', 'BatchMode=yes'],
      update: true,
    });
    expect(args).toEqual(expect.arrayContaining(['-a', '-s', '--from0', '--files-from=-', `--temp-dir=${TRANSFER_TEMP_DIR}`, '--update', '-e']));
    expect(args).not.toContain('--inplace');
    expect(args).toContain('--no-implied-dirs');
    expect(args.slice(-3)).toEqual(['--', '/r/a/', 'm2:/r/-b c/']);
  });

  it('asks a receiver where chmod does not work for the very modes its filesystem shows (so rsync never chmods there)', () => {
    const base = { paths: [], sshOptions: [], update: false };
    const fat: RsyncEndpoint = { kind: 'local', root: '/usb', ignorePerms: true, fixedModes: { file: 0o700, dir: 0o755 } };
    const to = buildRsyncArgs({ ...base, from: { kind: 'local', root: '/a' }, to: fat });
    expect(to).toEqual(expect.arrayContaining(['--no-perms', '--chmod=Du=rwx,Dg=rx,Do=rx,Fu=rwx,Fg=,Fo=']));
    // From it: what it sends is rw-r--r-- as from any machine that ignores modes.
    const from = buildRsyncArgs({ ...base, from: fat, to: { kind: 'local', root: '/b' } });
    expect(from).toEqual(expect.arrayContaining(['--no-perms', '--chmod=Du=rwx,Dgo=rx,Fu=rw,Fgo=r']));
  });

  it('to a receiver where a rename loses the mtime: no --update (the times pass after it would date a skipped save as the version sent)', () => {
    const args = buildRsyncArgs({ paths: [], sshOptions: [], update: true, backupDir: '.blat-trash/r', from: { kind: 'local', root: '/a' }, to: { kind: 'local', root: '/usb', fixMtimes: true } });
    expect(args).not.toContain('--update');
    expect(args).toContain('--backup');
    expect(buildTimesPassArgs({ sshOptions: [], update: true, backupDir: '.blat-trash/r', from: { kind: 'local', root: '/a' }, to: { kind: 'local', root: '/usb', fixMtimes: true } })).toEqual(
      expect.arrayContaining(['-lt', '-d', '-c', '--from0', '--files-from=-', '--no-perms', '--backup', '--backup-dir=.blat-trash/r/saved-after-transfer']),
    );
  });

  it('caps the transfer at the tighter bwlimit of its two machines, and adds nothing without one', () => {
    const base = { paths: [], sshOptions: [], update: false };
    const plain = buildRsyncArgs({ ...base, from: { kind: 'local', root: '/a' }, to: { kind: 'local', root: '/b' } });
    expect(plain.some((a) => a.startsWith('--bwlimit'))).toBe(false);
    const capped = buildRsyncArgs({ ...base, from: { kind: 'local', root: '/a', bwlimit: 900 }, to: { kind: 'ssh', host: 'm2', root: '/b', bwlimit: 300 } });
    expect(capped.filter((a) => a.startsWith('--bwlimit'))).toEqual(['--bwlimit=300']);
    const whole = buildRsyncArgs({ ...base, from: { kind: 'local', root: '/a' }, to: { kind: 'local', root: '/b', bwlimit: 64 }, whole: { exclude: [], folder: 'docs' } });
    expect(whole).toContain('--bwlimit=64');
  });

  it('keeps a cut transfer\'s file in the receiver\'s partial folder, given absolute (a relative one is taken from each file\'s folder)', () => {
    const base = { paths: [], sshOptions: [], update: true };
    const push = buildRsyncArgs({ ...base, from: { kind: 'local', root: '/a' }, to: { kind: 'ssh', host: 'm2', root: '/home/u/' } });
    expect(push).toContain('--partial-dir=/home/u/.blat-tmp/partial');
    expect(push).toContain(`--temp-dir=${TRANSFER_TEMP_DIR}`);
    expect(buildRsyncArgs({ ...base, from: { kind: 'ssh', host: 'm2', root: '/x' }, to: { kind: 'local', root: '/' } })).toContain('--partial-dir=/.blat-tmp/partial');
    // Folders sent whole go into a staging folder thrown away whole: no partial folder there.
    expect(buildRsyncArgs({ ...base, from: { kind: 'local', root: '/a' }, to: { kind: 'local', root: '/b' }, whole: { exclude: [] } }).some((a) => a.startsWith('--partial-dir'))).toBe(false);
  });

  it('compresses when either machine asks for it, keeps sparse files sparse, and never uses --inplace', () => {
    const base = { paths: [], sshOptions: [], update: true };
    const cases: [RsyncEndpoint, RsyncEndpoint, boolean][] = [
      [{ kind: 'local', root: '/a' }, { kind: 'ssh', host: 'm2', root: '/b' }, false],
      [{ kind: 'local', root: '/a', compress: true }, { kind: 'ssh', host: 'm2', root: '/b' }, true],
      [{ kind: 'ssh', host: 'm2', root: '/b' }, { kind: 'local', root: '/a', compress: true }, true],
    ];
    for (const [from, to, z] of cases) {
      for (const whole of [undefined, { exclude: [] }, { exclude: [], folder: 'docs' }]) {
        const args = buildRsyncArgs({ ...base, from, to, whole });
        expect(args.includes('-z'), JSON.stringify([from, to, whole])).toBe(z);
        expect(args).toContain('--sparse');
        expect(args).not.toContain('--inplace');
      }
    }
  });

  it('copies a listed hostile name exactly between two local roots', () => {
    const from = join(dir, 'from');
    const to = join(dir, 'to');
    execFileSync('mkdir', ['-p', join(from, 'd'), join(to, TRANSFER_TEMP_DIR)]);
    const name = "d/-rf $(touch x) 'q'\nnl";
    writeFileSync(join(from, name), 'content');
    const args = buildRsyncArgs({ from: { kind: 'local', root: from }, to: { kind: 'local', root: to }, paths: [name], sshOptions: [], update: true });
    execFileSync('rsync', args, { input: `${name}\0` });
    expect(readFileSync(join(to, name), 'utf8')).toBe('content');
  });
});

describe('buildRsyncArgs: versions and modes', () => {
  const local = (root: string, ignorePerms?: boolean) => ({ kind: 'local' as const, root, ...(ignorePerms ? { ignorePerms } : {}) });

  it('sends a listed file whose size and whole second match (rsync\'s quick check would skip a same-size edit)', () => {
    const from = join(dir, 'same-second-from');
    const to = join(dir, 'same-second-to');
    execFileSync('mkdir', ['-p', from, join(to, TRANSFER_TEMP_DIR)]);
    writeFileSync(join(from, 'f'), 'NEW');
    writeFileSync(join(to, 'f'), 'old');
    execFileSync('touch', ['-d', '@1700000000.2', join(from, 'f')]);
    execFileSync('touch', ['-d', '@1700000000.1', join(to, 'f')]);
    execFileSync('rsync', buildRsyncArgs({ from: local(from), to: local(to), paths: ['f'], sshOptions: [], update: true }), { input: 'f\0' });
    expect(readFileSync(join(to, 'f'), 'utf8')).toBe('NEW');
  });

  it('keeps modes between machines that keep them; --no-perms when an end ignores them, rw-r--r-- sent from one that does', () => {
    const req = { paths: [], sshOptions: [], update: false };
    expect(buildRsyncArgs({ ...req, from: local('/a'), to: local('/b') }).some((a) => a.includes('perms') || a.startsWith('--chmod'))).toBe(false);
    const toFat = buildRsyncArgs({ ...req, from: local('/a'), to: local('/b', true) });
    expect(toFat).toContain('--no-perms');
    expect(toFat.some((a) => a.startsWith('--chmod'))).toBe(false);
    const fromFat = buildRsyncArgs({ ...req, from: local('/a', true), to: local('/b') });
    expect(fromFat).toEqual(expect.arrayContaining(['--no-perms', '--chmod=Du=rwx,Dgo=rx,Fu=rw,Fgo=r']));
    const wholeFromFat = buildRsyncArgs({ ...req, from: local('/a', true), to: local('/b'), whole: { exclude: [], folder: 'docs' } });
    expect(wholeFromFat).toEqual(expect.arrayContaining(['--no-perms', '--chmod=Du=rwx,Dgo=rx,Fu=rw,Fgo=r']));
  });

  it('from a machine that ignores modes: an existing file keeps its mode, a new one gets rw-r--r-- (less the umask)', () => {
    const from = join(dir, 'fat-from');
    const to = join(dir, 'fat-to');
    execFileSync('mkdir', ['-p', from, join(to, TRANSFER_TEMP_DIR)]);
    for (const f of ['kept', 'new']) writeFileSync(join(from, f), `${f} v2`);
    chmodSync(join(from, 'kept'), 0o777);
    chmodSync(join(from, 'new'), 0o777);
    writeFileSync(join(to, 'kept'), 'kept v1');
    chmodSync(join(to, 'kept'), 0o700);
    execFileSync('rsync', buildRsyncArgs({ from: local(from, true), to: local(to), paths: [], sshOptions: [], update: false }), { input: 'kept\0new\0' });
    expect(readFileSync(join(to, 'kept'), 'utf8')).toBe('kept v2');
    expect(statSync(join(to, 'kept')).mode & 0o777).toBe(0o700);
    expect(statSync(join(to, 'new')).mode & 0o133).toBe(0); // no x bits, not group/other-writable
  });
});

describe('buildRsyncArgs, keeping what it replaces', () => {
  it('moves every replaced file, symlink or file turned folder under the backup folder, at its own path, no suffix', () => {
    const from = join(dir, 'keep-from');
    const to = join(dir, 'keep-to');
    execFileSync('mkdir', ['-p', join(from, 'd', 'now-a-dir'), join(to, 'd'), join(to, TRANSFER_TEMP_DIR)]);
    const put = (root: string, rel: string, content: string, mtime: string) => {
      writeFileSync(join(root, rel), content);
      execFileSync('touch', ['-h', '-d', mtime, join(root, rel)]);
    };
    const name = "d/-rf $(touch x) 'q'\nnl";
    put(from, name, 'new', '2024-01-02');
    put(to, name, 'old version', '2024-01-01');
    put(from, 'd/now-a-dir/in', 'inside', '2024-01-02');
    put(to, 'd/now-a-dir', 'was a file', '2024-01-01');
    execFileSync('ln', ['-s', 'new-target', join(from, 'd/link')]);
    put(to, 'd/link', 'was a file too', '2024-01-01');
    put(from, 'd/fresh', 'fresh', '2024-01-02');
    const paths = [name, 'd/now-a-dir', 'd/now-a-dir/in', 'd/link', 'd/fresh'];
    const args = buildRsyncArgs({ from: { kind: 'local', root: from }, to: { kind: 'local', root: to }, paths, sshOptions: [], update: true, backupDir: '.blat-trash/RUN' });
    expect(args).toEqual(expect.arrayContaining(['--backup', '--backup-dir=.blat-trash/RUN', '--suffix=']));
    execFileSync('rsync', args, { input: paths.map((p) => `${p}\0`).join('') });
    expect(readFileSync(join(to, name), 'utf8')).toBe('new');
    expect(readFileSync(join(to, '.blat-trash/RUN', name), 'utf8')).toBe('old version');
    expect(readFileSync(join(to, '.blat-trash/RUN/d/now-a-dir'), 'utf8')).toBe('was a file');
    expect(readFileSync(join(to, '.blat-trash/RUN/d/link'), 'utf8')).toBe('was a file too');
    expect(readdirSync(join(to, '.blat-trash/RUN/d')).sort()).toEqual([name.slice(2), 'link', 'now-a-dir'].sort());
    // Nothing but the transferred files in the temp folder's place: rsync left it empty.
    expect(readdirSync(join(to, TRANSFER_TEMP_DIR))).toEqual([]);
  });

});

describe('buildRsyncArgs, whole folders', () => {
  it('recurses into the listed folders with the excludes, and neither --temp-dir, --update nor --no-implied-dirs', () => {
    const args = buildRsyncArgs({
      from: { kind: 'local', root: '/r/a' },
      to: { kind: 'ssh', host: 'm2', root: '/r/b/.blat-tmp/stage-1' },
      paths: ['docs/new'],
      sshOptions: [],
      update: true,
      whole: { exclude: ['*.o', '.git/'] },
    });
    expect(args).toEqual(expect.arrayContaining(['-a', '-s', '--from0', '--files-from=-', '-r', '--exclude=*.o', '--exclude=.git/']));
    expect(args.some((a) => a.startsWith('--temp-dir') || a === '--update' || a === '--no-implied-dirs')).toBe(false);
    expect(args.slice(-3)).toEqual(['--', '/r/a/', 'm2:/r/b/.blat-tmp/stage-1/']);
  });
});

describe('buildRsyncArgs, one folder whole', () => {
  it('copies the folder\'s content straight into the staging folder: no list, the excludes, roots after --', () => {
    const args = buildRsyncArgs({
      from: { kind: 'ssh', host: 'm1', root: '/r/a b' },
      to: { kind: 'local', root: '/r/b/.blat-tmp/stage-1-0' },
      paths: ['ignored'],
      sshOptions: [],
      update: true,
      whole: { exclude: ['*.o'], folder: 'docs/-new one' },
    });
    expect(args.some((a) => a.startsWith('--files-from') || a === '--from0' || a.startsWith('--temp-dir') || a === '--update')).toBe(false);
    expect(args).toEqual(expect.arrayContaining(['-a', '-s', '--exclude=*.o', '-e']));
    expect(args.slice(-3)).toEqual(['--', 'm1:/r/a b/docs/-new one/', '/r/b/.blat-tmp/stage-1-0/']);
  });
});

describe('startRsync', () => {
  const roots = (label: string, withTemp: boolean) => {
    const from = join(dir, `${label}-from`);
    const to = join(dir, `${label}-to`);
    mkdirSync(join(from, 'd'), { recursive: true });
    mkdirSync(withTemp ? join(to, TRANSFER_TEMP_DIR) : to, { recursive: true });
    writeFileSync(join(from, 'd', '-n $(x)'), 'sent');
    writeFileSync(join(from, 'd', 'not listed'), 'kept back');
    return { from, to, req: { from: { kind: 'local' as const, root: from }, to: { kind: 'local' as const, root: to }, sshOptions: [], update: true } };
  };
  /** Resolves once the process is gone. */
  const gone = async (pid: number | undefined) => {
    for (;;) {
      try {
        process.kill(pid as number, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('sends nothing before its list comes, then exactly the listed paths', async () => {
    const { to, req } = roots('later', true);
    const rsync = startRsync(req);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(to, 'd'))).toBe(false);
    expect(await rsync.send(['d', 'd/-n $(x)'])).toEqual({ ok: true });
    expect(readFileSync(join(to, 'd', '-n $(x)'), 'utf8')).toBe('sent');
    expect(readdirSync(join(to, 'd'))).toEqual(['-n $(x)']);
  });

  it('stops, having transferred nothing, when cancelled before its list', async () => {
    const { to, req } = roots('cancelled', true);
    let pid: number | undefined;
    const rsync = startRsync({ ...req, onStart: (p) => (pid = p) });
    await rsync.cancel();
    await gone(pid);
    expect(readdirSync(to)).toEqual([TRANSFER_TEMP_DIR]);
  });

  it('lets the temp folder be made while it waits for its list (the precheck makes it meanwhile)', async () => {
    const { to, req } = roots('no-temp-yet', false);
    // A receiver on another machine starts at once (a local one only once the list is read): an
    // "ssh" that runs the remote command here stands in for one.
    await withFakeCommand('ssh', 'shift\nexec "$@"', async () => {
      const rsync = startRsync({ ...req, to: { kind: 'ssh', host: 'elsewhere', root: to } });
      // Were the receiver to look for the temp folder on starting, it would find none and fail.
      await new Promise((r) => setTimeout(r, 500));
      mkdirSync(join(to, TRANSFER_TEMP_DIR));
      expect(await rsync.send(['d', 'd/-n $(x)'])).toEqual({ ok: true });
      expect(readFileSync(join(to, 'd', '-n $(x)'), 'utf8')).toBe('sent');
    });
  });

  it('waits for its list longer than its stall timeout without giving up (a long precheck)', async () => {
    const { to, req } = roots('waits-long', true);
    expect(buildRsyncArgs({ ...req, paths: [], stallTimeout: 1 })).toContain('--timeout=1');
    await withFakeCommand('ssh', 'shift\nexec "$@"', async () => {
      const rsync = startRsync({ ...req, to: { kind: 'ssh', host: 'elsewhere', root: to }, stallTimeout: 1 });
      await new Promise((r) => setTimeout(r, 2500));
      expect(await rsync.send(['d', 'd/-n $(x)'])).toEqual({ ok: true });
      expect(readFileSync(join(to, 'd', '-n $(x)'), 'utf8')).toBe('sent');
    });
  });
});
