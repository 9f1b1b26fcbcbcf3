import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findConfigPath, readConfig } from '../../src/config/readConfig.js';
import { BlatError, ConfigError } from '../../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENV = { HOME: '/home/tester' };

/** Writes `text` as `name` in the temp dir and returns its path. */
async function write(text: string, name = 'blat.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** The lines of the ConfigError that reading `text` throws. */
async function errorLines(text: string): Promise<{ file: string; lines: readonly string[] }> {
  const file = await write(text);
  const error = await readConfig(file, ENV).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return { file, lines: (error as ConfigError).lines };
}

const MINIMAL = `version: 1
paths: [docs]
machines:
  spencer: { host: spencer.local, root: /home/ajh }
`;

describe('findConfigPath', () => {
  it('finds blat.yaml in the current folder or the nearest parent holding one, as git finds its repository', () => {
    const files = new Set(['/home/ajh/blat.yaml', '/home/ajh/docs/proj/blat.yaml', '/blat.yaml']);
    const isFile = (p: string) => files.has(p);
    expect(findConfigPath({ env: {}, cwd: '/home/ajh/docs/proj', isFile })).toBe('/home/ajh/docs/proj/blat.yaml');
    expect(findConfigPath({ env: {}, cwd: '/home/ajh/docs/proj/sub/deeper', isFile })).toBe('/home/ajh/docs/proj/blat.yaml');
    expect(findConfigPath({ env: {}, cwd: '/home/ajh/docs', isFile })).toBe('/home/ajh/blat.yaml');
    expect(findConfigPath({ env: {}, cwd: '/srv', isFile })).toBe('/blat.yaml');
    // Named ones are taken as named, found or not.
    expect(findConfigPath({ flag: 'x.yaml', env: {}, cwd: '/home/ajh/docs', isFile })).toBe('/home/ajh/docs/x.yaml');
    expect(findConfigPath({ env: { BLAT_CONFIG: 'y.yaml' }, cwd: '/home/ajh/docs', isFile })).toBe('/home/ajh/docs/y.yaml');
  });

  it('prefers the flag, then $BLAT_CONFIG, then ./blat.yaml', () => {
    expect(findConfigPath({ flag: 'x.yaml', env: { BLAT_CONFIG: '/e/b.yaml' }, cwd: '/w' })).toBe('/w/x.yaml');
    expect(findConfigPath({ flag: '/abs/c.yaml', env: {}, cwd: '/w' })).toBe('/abs/c.yaml');
    expect(findConfigPath({ env: { BLAT_CONFIG: 'conf/b.yaml' }, cwd: '/w' })).toBe('/w/conf/b.yaml');
    expect(findConfigPath({ env: { BLAT_CONFIG: '' }, cwd: '/w/sub/', isFile: () => false })).toBe('/w/sub/blat.yaml');
    expect(findConfigPath({ env: {}, cwd: '/w', isFile: () => false })).toBe('/w/blat.yaml');
  });
});

describe('readConfig: per-machine modify windows and modes', () => {
  it('reads machines.NAME.modifyWindow and perms; the planner compares each pair with the larger window', async () => {
    const file = await write(`version: 1
paths: [docs]
modifyWindow: 0.5
machines:
  spencer: { host: spencer.local, root: /home/ajh }
  usbdisk: { transport: local, root: /media/usb, modifyWindow: 2, perms: ignore }
  nas: { host: nas, root: /srv, perms: keep }
`);
    const config = await readConfig(file, ENV);
    expect(config.modifyWindow).toBe(0.5);
    expect(config.machines[1]).toMatchObject({ name: 'usbdisk', modifyWindow: 2, perms: 'ignore' });
    // Declared `keep` is kept: no probe of the root overrides it.
    expect(config.machines[2]).toHaveProperty('perms', 'keep');
    expect(config.machines[2]).not.toHaveProperty('modifyWindow');
    const { buildVersionOptions } = await import('../../src/commands/context.js');
    expect(buildVersionOptions(config)).toEqual({ modifyWindow: 0.5, windows: { usbdisk: 2 }, ignorePerms: ['usbdisk'] });
  });

  it('refuses a negative window and an unknown perms value, naming the line', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs]
machines:
  usbdisk: { transport: local, root: /media/usb, modifyWindow: -2, perms: none }
`);
    expect(lines.join('\n')).toContain(`${file}:4:`);
    expect(lines.join('\n')).toMatch(/machines\.usbdisk\.modifyWindow: must be at least 0/);
    expect(lines.join('\n')).toMatch(/machines\.usbdisk\.perms: must be one of keep, ignore/);
  });
});

describe('readConfig: valid files', () => {
  it('fills defaults and makes local paths absolute', async () => {
    const file = await write(MINIMAL);
    const config = await readConfig(file, ENV);
    expect(config).toEqual({
      file,
      version: 1,
      paths: ['docs'],
      exclude: [],
      stateDir: join(dir, '.blat'),
      ownPaths: ['.blat', '.blat-tmp', '.blat-trash'],
      concurrency: 8,
      modifyWindow: 0,
      stallTimeout: 60,
      ssh: { options: [], connectTimeout: 5 },
      trash: { keepDays: 30 },
      machines: [{ name: 'spencer', transport: 'ssh', host: 'spencer.local', root: '/home/ajh', aliases: [] }],
      setName: expect.stringMatching(/^set-[0-9a-f]{12}$/),
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('names the sync set: name: when declared, else the same name for the same paths and machines whatever self is', async () => {
    const plain = await readConfig(await write(MINIMAL), ENV);
    const other = await readConfig(await write(`${MINIMAL}self: spencer\n`, 's.yaml'), ENV);
    expect(other.setName).toBe(plain.setName);
    const more = await readConfig(await write(MINIMAL.replace('paths: [docs]', 'paths: [docs, music]'), 'm.yaml'), ENV);
    expect(more.setName).not.toBe(plain.setName);
    const named = await readConfig(await write(`${MINIMAL}name: home\n`, 'n.yaml'), ENV);
    expect(named.setName).toBe('home');
    await expect(readConfig(await write(`${MINIMAL}name: ../up\n`, 'bad.yaml'), ENV)).rejects.toThrow(/name/);
  });

  it('reads trash.keepDays, refuses a negative or fractional one, and leaves it out of the digest', async () => {
    const plain = await readConfig(await write(MINIMAL), ENV);
    const week = await readConfig(await write(`${MINIMAL}trash: { keepDays: 7 }\n`, 'k.yaml'), ENV);
    expect(week.trash).toEqual({ keepDays: 7 });
    expect(week.digest).toBe(plain.digest);
    for (const bad of ['-1', '1.5', '"30"']) {
      await expect(readConfig(await write(`${MINIMAL}trash: { keepDays: ${bad} }\n`, 'bad.yaml'), ENV)).rejects.toThrow(/trash\.keepDays/);
    }
    await expect(readConfig(await write(`${MINIMAL}trash: { keep: 3 }\n`, 'bad.yaml'), ENV)).rejects.toThrow(/trash/);
  });

  it('reads every key, keeps machine order, normalises paths', async () => {
    const file = await write(`version: 1
self: spencer
paths: [./etc//machine.txt, docs/]
exclude: ["*.o", ".git/"]
stateDir: state/here
concurrency: 3
modifyWindow: 0.5
stallTimeout: 7
ssh:
  configFile: ~/.ssh/config
  options: ["-o", "Compression=no"]
  connectTimeout: 3
machines:
  zeta:     { host: zeta, root: /z }
  spencer:  { host: spencer.local, root: /home/ajh/, aliases: [ajh.co] }
  dimboola: { host: ajh@dimboola, root: /Users/ajh, os: darwin }
  "42":     { host: h42, root: /r }
  hamilton: { host: hamilton.local, root: /home/ajh, state: outofuse }
  usbdisk:  { transport: local, root: /media/backup/ajh }
`);
    const config = await readConfig(file, ENV);
    expect(config.self).toBe('spencer');
    expect(config.paths).toEqual(['docs', 'etc/machine.txt']);
    expect(config.exclude).toEqual(['*.o', '.git/']);
    expect(config.stateDir).toBe(join(dir, 'state/here'));
    expect(config.concurrency).toBe(3);
    expect(config.modifyWindow).toBe(0.5);
    expect(config.stallTimeout).toBe(7);
    expect(config.ssh).toEqual({ configFile: '/home/tester/.ssh/config', options: ['-o', 'Compression=no'], connectTimeout: 3 });
    expect(config.machines.map((m) => m.name)).toEqual(['zeta', 'spencer', 'dimboola', '42', 'hamilton', 'usbdisk']);
    expect(config.machines[1]).toEqual({ name: 'spencer', transport: 'ssh', host: 'spencer.local', root: '/home/ajh', aliases: ['ajh.co'] });
    expect(config.machines[2].os).toBe('darwin');
    expect(config.machines[4].state).toBe('outofuse');
    expect(config.machines[5]).toEqual({ name: 'usbdisk', transport: 'local', root: '/media/backup/ajh', aliases: [] });
  });

  it('resolves a relative ssh config file against the config folder', async () => {
    const file = await write(`version: 1
paths: [docs]
ssh: { configFile: ssh/config }
machines: { a: { host: a, root: /a } }
`);
    expect((await readConfig(file, ENV)).ssh.configFile).toBe(join(dir, 'ssh/config'));
  });

  it('returns a deeply frozen value', async () => {
    const config = await readConfig(await write(MINIMAL), ENV);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.paths)).toBe(true);
    expect(Object.isFrozen(config.machines[0])).toBe(true);
    expect(Object.isFrozen(config.machines[0].aliases)).toBe(true);
    expect(Object.isFrozen(config.ssh.options)).toBe(true);
  });

  it('reads the example config shipped with the project', async () => {
    const example = fileURLToPath(new URL('../../blat.yaml.example', import.meta.url));
    const config = await readConfig(example, ENV);
    expect(config.machines.map((m) => m.name)).toEqual(['spencer', 'dimboola', 'hamilton', 'usbdisk']);
    expect(config.paths).toEqual(['docs', 'etc/machine.txt']);
    expect(config.self).toBe('spencer');
    expect(config.setName).toBe('home');
    expect(config.trash).toEqual({ keepDays: 30 });
  });
});

describe('readConfig: digest', () => {
  it('is the same for the same settings in another folder, written differently', async () => {
    const a = await readConfig(await write(MINIMAL), ENV);
    await mkdir(join(dir, 'other'));
    const reordered = `# a comment
machines:
  spencer:
    root: /home/ajh
    host: spencer.local
paths: ["./docs/"]
version: 1
concurrency: 8
`;
    const b = await readConfig(await write(reordered, 'other/blat.yaml'), ENV);
    expect(b.file).not.toBe(a.file);
    expect(b.stateDir).not.toBe(a.stateDir);
    expect(b.digest).toBe(a.digest);
  });

  it('changes when machines or paths change', async () => {
    const base = await readConfig(await write(MINIMAL), ENV);
    const morePaths = await readConfig(await write(MINIMAL.replace('[docs]', '[docs, etc]'), 'p.yaml'), ENV);
    const otherRoot = await readConfig(await write(MINIMAL.replace('/home/ajh', '/home/other'), 'm.yaml'), ENV);
    const extraMachine = await readConfig(await write(`${MINIMAL}  usb: { transport: local, root: /mnt }\n`, 'x.yaml'), ENV);
    const digests = new Set([base.digest, morePaths.digest, otherRoot.digest, extraMachine.digest]);
    expect(digests.size).toBe(4);
  });
});

describe('readConfig: errors', () => {
  it('says how to fix a missing file, on one line', async () => {
    const missing = join(dir, 'nope.yaml');
    const error = await readConfig(missing, ENV).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BlatError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect((error as BlatError).summary).toBe(`blat.yaml: cannot read ${missing}: no such file (create one, or pass -c FILE or set $BLAT_CONFIG)`);
  });

  it('reports an unknown key at the key, with its path', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs]
machines:
  spencer:
    hots: spencer.local
    root: /home/ajh
`);
    expect(lines).toEqual([
      `${file}:4:3: machines.spencer: missing required key "host"`,
      `${file}:5:5: machines.spencer.hots: unknown key "hots" (did you mean "host"?)`,
    ]);
  });

  it('reports a stallTimeout below 2 s or not whole', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs]
stallTimeout: 1
machines: { a: { host: a, root: /a } }
`);
    expect(lines).toEqual([`${file}:3:15: stallTimeout: must be at least 2`]);
    const half = await errorLines(`version: 1
paths: [docs]
stallTimeout: 2.5
machines: { a: { host: a, root: /a } }
`);
    expect(half.lines).toEqual([`${half.file}:3:15: stallTimeout: must be a whole number`]);
  });

  it('reports unknown top-level and ssh keys', async () => {
    const { file, lines } = await errorLines(`version: 1
path: [docs]
paths: [docs]
ssh:
  timeout: 3
machines: { a: { host: a, root: /a } }
`);
    expect(lines).toEqual([
      `${file}:2:1: path: unknown key "path" (did you mean "paths"?)`,
      `${file}:5:3: ssh.timeout: unknown key "timeout"`,
    ]);
  });

  it('reports every error of the run with file:line:col and yaml path, in file order', async () => {
    const { file, lines } = await errorLines(`version: 2
self: nobody
paths: []
concurrency: 65
modifyWindow: -1
ssh:
  connectTimeout: 2.5
machines:
  spencer:  { host: spencer.local, root: ~/ajh }
  dimboola:
    host: ajh@dimboola
    root: /Users/ajh
    os: Darwin
    state: offline
  usbdisk:  { transport: local, host: usb, root: /media }
  "bad name": { host: -oProxyCommand=x, root: /x }
`);
    expect(lines).toEqual([
      `${file}:1:10: version: must be 1`,
      `${file}:2:7: self: "nobody" is not a machine (machines: spencer, dimboola, usbdisk, bad name)`,
      `${file}:3:8: paths: must list at least one entry`,
      `${file}:4:14: concurrency: must be at most 64`,
      `${file}:5:15: modifyWindow: must be at least 0`,
      `${file}:7:19: ssh.connectTimeout: must be a whole number`,
      `${file}:9:42: machines.spencer.root: must be an absolute path starting with "/" (it is a path on that machine: "~" is not expanded)`,
      `${file}:13:9: machines.dimboola.os: must be one of linux, darwin`,
      `${file}:14:12: machines.dimboola.state: must be outofuse`,
      `${file}:15:33: machines.usbdisk.host: not allowed with transport: local (a local machine has no ssh host)`,
      `${file}:16:3: machines["bad name"]: invalid machine name "bad name": use letters, digits, ".", "_" and "-", starting with a letter or digit`,
      `${file}:16:23: machines["bad name"].host: must be an ssh destination (user@host, host or an ssh-config alias): no spaces, not starting with "-"`,
    ]);
  });

  it('reports missing required keys and wrong types', async () => {
    const { file, lines } = await errorLines(`self: 3
machines:
  a:
    host: a
    aliases: x
  b:
`);
    expect(lines).toEqual([
      `${file}:1:1: (top level): missing required key "version"`,
      `${file}:1:1: (top level): missing required key "paths"`,
      `${file}:1:7: self: must be a string`,
      `${file}:3:3: machines.a: missing required key "root"`,
      `${file}:5:14: machines.a.aliases: must be a list`,
      `${file}:6:3: machines.b: must be a mapping`,
    ]);
  });

  it('rejects an empty file and an empty machines map', async () => {
    expect((await errorLines('')).lines).toEqual([`${join(dir, 'blat.yaml')}:1:1: (top level): must be a mapping`]);
    const { file, lines } = await errorLines('version: 1\npaths: [a]\nmachines: {}\n');
    expect(lines).toEqual([`${file}:3:11: machines: must declare at least one machine`]);
  });

  it('reports invalid, duplicate and nested paths', async () => {
    const { file, lines } = await errorLines(`version: 1
paths:
  - docs
  - /etc
  - ../up
  - docs/
  - docs/a
  - etc
  - a/./b
  - etc2
  - etc/machine.txt
machines: { a: { host: a, root: /a } }
`);
    expect(lines).toEqual([
      `${file}:4:5: paths[1]: must be a relative path (relative to each machine's root)`,
      `${file}:5:5: paths[2]: "../up" is not a valid sync path: "." and ".." segments are not allowed`,
      `${file}:6:5: paths[3]: "docs/" repeats paths[0] ("docs")`,
      `${file}:7:5: paths[4]: "docs/a" lies inside paths[0] ("docs"); list only one of them`,
      `${file}:9:5: paths[6]: "a/./b" is not a valid sync path: "." and ".." segments are not allowed`,
      `${file}:11:5: paths[8]: "etc/machine.txt" lies inside paths[5] ("etc"); list only one of them`,
    ]);
  });

  it('reports an exclude that would exclude a whole sync path, or that it cannot read, at the entry', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs, proj/code]
exclude:
  - "*.o"
  - /
  - docs/
  - proj
  - /*
  - "[z-a"
  - build/cache
machines: { a: { host: a, root: /a } }
`);
    expect(lines).toEqual([
      `${file}:5:5: exclude[1]: "/" would exclude everything`,
      `${file}:6:5: exclude[2]: "docs/" matches the sync path "docs": it would exclude all of it`,
      `${file}:7:5: exclude[3]: "proj" matches the sync path "proj/code" (its folder "proj"): it would exclude all of it`,
      `${file}:8:5: exclude[4]: "/*" would exclude everything under every sync path`,
      expect.stringMatching(new RegExp(`^${file}:9:5: exclude\\[5\\]: "\\[z-a": a character class blat cannot read`)),
    ]);
  });

  it("refuses the placeholder path that blat import writes", async () => {
    const { file, lines } = await errorLines('version: 1\npaths: [docs, CHANGE-ME]\nmachines: { a: { host: a, root: /a } }\n');
    expect(lines).toEqual([`${file}:2:15: paths[1]: "CHANGE-ME" is the placeholder blat import writes: list the files and folders to keep identical`]);
  });

  it('reports a sync path that is, or lies inside, one of blat\'s own folders, at the entry', async () => {
    const { file, lines } = await errorLines(`version: 1
stateDir: sync/state
paths:
  - .blat-tmp
  - .blat-trash/run
  - .blat
  - sync/state/x
  - docs
  - docs/a
machines:
  here: { transport: local, root: ${dir} }
`);
    expect(lines).toEqual([
      `${file}:4:5: paths[0]: ".blat-tmp" is blat's own folder ".blat-tmp"; blat never syncs its own files`,
      `${file}:5:5: paths[1]: ".blat-trash/run" lies inside blat's own folder ".blat-trash"; blat never syncs its own files`,
      `${file}:6:5: paths[2]: ".blat" is blat's own folder ".blat"; blat never syncs its own files`,
      `${file}:7:5: paths[3]: "sync/state/x" lies inside blat's state folder (stateDir, "sync/state" in a root); blat never syncs its own files`,
      `${file}:9:5: paths[5]: "docs/a" lies inside paths[4] ("docs"); list only one of them`,
    ]);
  });

  it('reports every sync path when the state folder is a machine\'s root', async () => {
    const { file, lines } = await errorLines(`version: 1
stateDir: .
paths: [docs]
machines:
  here: { transport: local, root: ${dir} }
`);
    expect(lines).toEqual([`${file}:3:9: paths[0]: "docs" lies inside blat's state folder (stateDir is the root of machine "here"); blat never syncs its own files: move stateDir out of the root`]);
  });

  it('accepts a state folder inside a sync path, and leaves it out of every scan (ownPaths)', async () => {
    const file = await write(`version: 1
stateDir: docs/.state
paths: [docs]
machines:
  here: { transport: local, root: ${dir} }
  there: { host: there, root: /elsewhere }
`);
    expect((await readConfig(file, ENV)).ownPaths).toEqual(['.blat', '.blat-tmp', '.blat-trash', 'docs/.state']);
  });

  it('reports a path that contains a later-listed one', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs/a, docs]
machines: { a: { host: a, root: /a } }
`);
    expect(lines).toEqual([`${file}:2:17: paths[1]: "docs" contains paths[0] ("docs/a"); list only one of them`]);
  });

  it('reports aliases shared between machines or naming a machine', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs]
machines:
  a: { host: a, root: /a, aliases: [shared, b] }
  b: { host: b, root: /b, aliases: [Shared, x, x] }
`);
    expect(lines).toEqual([
      `${file}:4:45: machines.a.aliases[1]: alias "b" is the name of another machine`,
      `${file}:5:37: machines.b.aliases[0]: alias "Shared" is also an alias of machine "a"`,
      `${file}:5:48: machines.b.aliases[2]: repeats item [1]`,
    ]);
  });

  it('reports YAML syntax errors with their line and column', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs
machines:
  a: { host: a, root: /a }
`);
    expect(lines).toEqual([`${file}:3:1: syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`]);
  });

  it('reports every syntax error of the file', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs]
  bad: indent
machines: { a: { host: "a, root: /a } }
`);
    expect(lines).toEqual([
      `${file}:3:1: syntax error: All mapping items must start at the same column`,
      `${file}:5:1: syntax error: Missing closing "quote`,
      `${file}:5:1: syntax error: Flow map in block collection must be sufficiently indented and end with a }`,
    ]);
  });

  it('reports duplicate keys as syntax errors at the repeated key', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs]
machines:
  a: { host: a, root: /a }
  a: { host: b, root: /b }
`);
    expect(lines).toEqual([`${file}:5:3: syntax error: Map keys must be unique`]);
  });

  it('quotes odd key names in the yaml path and escapes control characters', async () => {
    const { file, lines } = await errorLines('version: 1\npaths: [docs]\n"we\\u001bird key": 1\nmachines: { a: { host: a, root: /a } }\n');
    expect(lines).toEqual([`${file}:3:1: ["we\\x1bird key"]: unknown key "we\\x1bird key"`]);
  });

  it('keeps hostile text on one line', async () => {
    const { lines } = await errorLines('version: 1\npaths: ["a/../\\u001b[31mx\\nnew"]\nmachines: { a: { host: a, root: /a } }\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\u0000-\u001f]/);
    expect(lines[0]).toContain('\\x1b[31mx\\nnew');
  });
});

describe('readConfig: self: none (a controller)', () => {
  it('takes self: none, which names no machine', async () => {
    const config = await readConfig(await write(`version: 1\nself: none\npaths: [docs]\nmachines:\n  spencer: { host: spencer.local, root: /home/ajh }\n`), ENV);
    expect(config.self).toBe('none');
  });

  it('refuses a machine called none, in one line naming it', async () => {
    const { file, lines } = await errorLines(`version: 1
paths: [docs]
machines:
  spencer: { host: spencer.local, root: /home/ajh }
  none: { host: none.local, root: /home/ajh }
`);
    expect(lines).toEqual([
      `${file}:5:9: machines.none: a machine cannot be called "none": "self: none" (or --self none) means blat runs on no machine of the set; rename it`,
    ]);
  });
});
