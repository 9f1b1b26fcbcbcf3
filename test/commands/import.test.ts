// End to end: `blat import machine.txt` prints a blat.yaml that `blat plan -c` accepts once paths are filled in.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { REPO_DIR, runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import { shareSshd, type SshdHandle } from '../helpers/sshd.js';
import { makeToolSpy, type ToolSpy } from './toolSpy.js';
import { expectOneError } from './support.js';

const MACHINE_TXT = [
  '#machine,IPaddress,OS,state,[(alias,aliasIP),...]',
  'm1,10.0.0.120,Linux,online,[(m1.example,101.167.106.147),(m1.lan,10.0.0.120)]',
  'm2,10.0.0.110,Linux,offline',
  'dead,10.0.0.118,Darwin,outofuse',
  'here,,Linux,unknown',
  '',
].join('\n');

let sshd: SshdHandle;
let box: Sandbox;
let spy: ToolSpy;
/** The one root every imported machine gets (owned by the ssh login user). */
let root: string;

beforeAll(async () => {
  sshd = await shareSshd(['m1', 'm2']);
  spy = await makeToolSpy();
  box = await makeSandbox({ sshd, ssh: ['m1'], local: ['here'], self: 'here', paths: ['docs'] });
  root = box.root('m1');
  await box.write('m1', 'docs/a b.txt', 'shared\n', 1_700_000_000);
  await writeFile(join(box.dir, 'machine.txt'), MACHINE_TXT);
});

afterAll(async () => {
  await box?.cleanup();
  await spy?.cleanup();
  await sshd?.stop();
});


describe('blat import', () => {
  it('prints a commented blat.yaml for machine.txt; with paths filled in, blat plan -c accepts it', async () => {
    const r = await runBlat(['import', 'machine.txt', '--root', root], { cwd: box.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`# yaml-language-server: $schema=${join(REPO_DIR, 'schemas', 'blat.schema.json')}`);
    expect(r.stdout).toContain('# machine.txt line 2: IP 10.0.0.120, was online\n');
    expect(r.stdout).toContain('# machine.txt line 3: IP 10.0.0.110, was offline\n');
    expect(parse(r.stdout)).toEqual({
      version: 1,
      // machine.txt does not lie under the root: a placeholder to replace.
      paths: ['CHANGE-ME'],
      machines: {
        m1: { host: 'm1', root, aliases: ['m1.example', 'm1.lan'], os: 'linux' },
        m2: { host: 'm2', root, os: 'linux' },
        dead: { host: 'dead', root, os: 'darwin', state: 'outofuse' },
        here: { host: 'here', root, os: 'linux' },
      },
    });

    // Fill in the paths (and the harness's ssh config), keep the comments, and plan with it.
    const doc = parseDocument(r.stdout);
    doc.set('paths', ['docs']);
    doc.set('ssh', { configFile: sshd.sshConfigFile, connectTimeout: 3 });
    const imported = join(box.dir, 'imported.yaml');
    await writeFile(imported, doc.toString());
    await spy.reset();
    const plan = await runBlat(['-c', imported, 'plan', '--self', 'here', '--detailed-exitcode'], { cwd: box.dir, env: spy.env });
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toMatch(/^ {2}m1 +online +linux$/m);
    expect(plan.stdout).toMatch(/^ {2}m2 +online +linux$/m);
    expect(plan.stdout).toMatch(/^ {2}dead +outofuse \(left out\)$/m);
    expect(plan.stdout).toMatch(/^ {2}here \(self\) +online +linux$/m);
    // Every machine has the same root here, so all agree: docs and docs/a b.txt.
    expect(plan.stdout).toContain('No changes. Every machine is in sync (2 paths).');
    expect(plan.code).toBe(0);
    // The out-of-use machine was not contacted; the others three times: the probe of their roots on
    // first contact, the scan, then the seen line written (every machine found alike).
    expect(await spy.sshHosts()).toEqual(['m1', 'm1', 'm1', 'm2', 'm2', 'm2']);
  });

  it('uses machine.txt itself as the placeholder path when it lies under the root', async () => {
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc', 'machine.txt'), MACHINE_TXT);
    const fromRoot = await runBlat(['import', 'etc/machine.txt', '--root', root], { cwd: root });
    expect(fromRoot.code).toBe(0);
    expect(parse(fromRoot.stdout).paths).toEqual(['etc/machine.txt']);
    // Named from elsewhere, the same file is found the same way.
    const fromElsewhere = await runBlat(['import', join(root, 'etc', 'machine.txt'), '--root', root], { cwd: '/' });
    expect(parse(fromElsewhere.stdout).paths).toEqual(['etc/machine.txt']);
    // The default root is $HOME.
    const home = await runBlat(['import', 'machine.txt'], { cwd: box.dir, env: { HOME: root } });
    expect(home.code).toBe(0);
    expect(parse(home.stdout).machines.m1.root).toBe(root);
  });

  it('bad machine.txt input: one clear line naming the file and line, exit 1', async () => {
    const write = (name: string, text: string) => writeFile(join(box.dir, name), text);
    expectOneError(await runBlat(['import', 'nosuch.txt'], { cwd: box.dir }), 'blat: nosuch.txt: cannot read (ENOENT)');
    await write('garbage.txt', 'm1,1.2.3.4,Linux,online\nthis is not a machine line\n');
    expectOneError(
      await runBlat(['import', 'garbage.txt'], { cwd: box.dir }),
      'blat: garbage.txt:2: cannot parse machine entry: "this is not a machine line" (expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]])',
    );
    await write('twice.txt', 'm1,,Linux,online\n# again\nm1,,Linux,offline\n');
    expectOneError(await runBlat(['import', 'twice.txt'], { cwd: box.dir }), 'blat: twice.txt:3: cannot parse machine entry: machine "m1" is already listed on line 1');
    await write('state.txt', 'm1,,Linux,asleep\n');
    expectOneError(
      await runBlat(['import', 'state.txt'], { cwd: box.dir }),
      'blat: state.txt:1: cannot parse machine entry: unknown state "asleep" (expected online, offline, unknown or outofuse)',
    );
    await write('inject.txt', '$(touch pwned),,Linux,online\n');
    expectOneError(
      await runBlat(['import', 'inject.txt'], { cwd: box.dir }),
      'blat: inject.txt:1: cannot parse machine entry: machine name "$(touch pwned)" must be letters, digits, ".", "_" and "-", starting with a letter or digit',
    );
    await write('empty.txt', '# nothing but a comment\n');
    expectOneError(await runBlat(['import', 'empty.txt'], { cwd: box.dir }), 'blat: empty.txt: no machine entries found');
    expectOneError(await runBlat(['import', 'machine.txt', '--root', 'relative/dir'], { cwd: box.dir }), 'blat: root "relative/dir" must be an absolute path');
    await write('new\nline.txt', 'bad line\n');
    const hostile = await runBlat(['import', 'new\nline.txt'], { cwd: box.dir });
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toMatch(/^blat: new\\nline\.txt:1: cannot parse machine entry: "bad line" \(expected .*\)\n$/);
    expectOneError(await runBlat(['import', 'new\nnothing.txt'], { cwd: box.dir }), /^blat: new\\nnothing\.txt: cannot read \(ENOENT\)$/);
    expect(await readFile(join(box.dir, 'machine.txt'), 'utf8')).toBe(MACHINE_TXT);
  });

  it('roots Linux and Darwin machines apart, says on stderr which rows it could not carry, and reports every bad line', async () => {
    const text = 'lin,,Linux,online\nmac,,Darwin,online,[(lin,1.2.3.4)]\nwin,,Windows,online\n';
    await writeFile(join(box.dir, 'mixed.txt'), text);
    const r = await runBlat(['import', 'mixed.txt', '--root-linux', '/home/ajh', '--root-darwin', '/Users/ajh'], { cwd: box.dir });
    expect(r.code).toBe(0);
    expect(parse(r.stdout).machines).toEqual({ lin: { host: 'lin', root: '/home/ajh', os: 'linux' }, mac: { host: 'mac', root: '/Users/ajh', os: 'darwin' } });
    expect(r.stderr).toBe(
      'note: mixed.txt:2: alias "lin" of mac is the name of machine lin: left out\n' + 'note: mixed.txt:3: win not carried: OS "Windows" is neither Linux nor Darwin\n',
    );
    await writeFile(join(box.dir, 'two-bad.txt'), 'ok,,Linux,online\nbad one\nok2,,Linux,asleep\n');
    const bad = await runBlat(['import', 'two-bad.txt'], { cwd: box.dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n').filter(Boolean)).toEqual([
      'blat: two-bad.txt:2: cannot parse machine entry: "bad one" (expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]])',
      'blat: two-bad.txt:3: cannot parse machine entry: unknown state "asleep" (expected online, offline, unknown or outofuse)',
    ]);
  });
});
