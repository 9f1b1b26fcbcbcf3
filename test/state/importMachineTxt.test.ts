import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { readConfig } from '../../src/config/readConfig.js';
import { BlatError } from '../../src/errors.js';
import { buildConfigFromMachineTxt } from '../../src/state/importMachineTxt.js';

// The seed's sample (section 8.1), one machine per line as the real file has it.
const SEED_SAMPLE = `# machine.txt file format
#machine,IPaddress,OS,state,[(alias,aliasIP),...]
spencer,10.0.0.120,Linux,online,[(ajh.co,101.167.106.147),(ajh.id.au,101.167.106.147)]
dimboola,10.0.0.110,Darwin,offline
hamilton,10.0.0.118,Darwin,unknown
`;

const FILE = '/home/ajh/etc/machine.txt';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-import-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `yamlText` as blat.yaml in the temp dir, its placeholder path filled in as a user would, and reads it back with readConfig. */
async function readBack(yamlText: string) {
  const file = join(dir, 'blat.yaml');
  await writeFile(file, yamlText.replace(/^ {2}- CHANGE-ME$/m, '  - docs'));
  return readConfig(file, { HOME: dir });
}

function blatError(fn: () => unknown): BlatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BlatError);
    return error as BlatError;
  }
  throw new Error('expected a BlatError');
}

describe('buildConfigFromMachineTxt', () => {
  it('turns the seed sample into a valid, commented blat.yaml', async () => {
    const text = buildConfigFromMachineTxt(SEED_SAMPLE, FILE, { roots: { root: '/home/ajh' }, schema: './schemas/blat.schema.json' }).yaml;
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schemas/blat.schema.json');
    expect(text).toContain('# machine.txt line 3: IP 10.0.0.120, was online');
    const config = await readBack(text);
    expect(config.version).toBe(1);
    expect(config.paths).toEqual(['etc/machine.txt']);
    expect(config.machines).toEqual([
      { name: 'spencer', transport: 'ssh', host: 'spencer', root: '/home/ajh', aliases: ['ajh.co', 'ajh.id.au'], os: 'linux' },
      { name: 'dimboola', transport: 'ssh', host: 'dimboola', root: '/home/ajh', aliases: [], os: 'darwin' },
      { name: 'hamilton', transport: 'ssh', host: 'hamilton', root: '/home/ajh', aliases: [], os: 'darwin' },
    ]);
  });

  it('names the installed schema by default', () => {
    const text = buildConfigFromMachineTxt(SEED_SAMPLE, FILE, { roots: { root: '/home/ajh' } }).yaml;
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=\/.*\/schemas\/blat\.schema\.json$/);
  });

  it('keeps outofuse, drops observed states, uses the IP when the name is empty; rows of another OS are not carried, and said', async () => {
    const input = ['', '  # a comment', 'old,10.0.0.9,Linux,outofuse', ',10.0.0.5,Plan9,online,[]', 'mac,,darwin,', 'win,10.0.0.7,Windows,unknown', 'any,10.0.0.8,,unknown', ''].join('\r\n');
    const result = buildConfigFromMachineTxt(input, '/elsewhere/machine.txt', { roots: { root: '/Users/ajh' } });
    const doc = parseDocument(result.yaml).toJS() as { paths: string[]; machines: Record<string, Record<string, unknown>> };
    expect(doc.paths).toEqual(['CHANGE-ME']);
    expect(doc.machines).toEqual({
      old: { host: 'old', root: '/Users/ajh', os: 'linux', state: 'outofuse' },
      mac: { host: 'mac', root: '/Users/ajh', os: 'darwin' },
      // No OS written: carried, its OS detected when blat first reaches it.
      any: { host: 'any', root: '/Users/ajh' },
    });
    expect(result.notes).toEqual([
      '/elsewhere/machine.txt:4: 10.0.0.5 not carried: OS "Plan9" is neither Linux nor Darwin',
      '/elsewhere/machine.txt:6: win not carried: OS "Windows" is neither Linux nor Darwin',
    ]);
    const config = await readBack(result.yaml);
    expect(config.machines.map((m) => m.name)).toEqual(['old', 'mac', 'any']);
  });

  it('gives Linux and Darwin machines their own roots; a row with no root for its OS is not carried, and said', async () => {
    const both = buildConfigFromMachineTxt(SEED_SAMPLE, FILE, { roots: { linux: '/home/ajh', darwin: '/Users/ajh' } });
    expect(both.notes).toEqual([]);
    expect((await readBack(both.yaml)).machines.map((m) => [m.name, m.root])).toEqual([
      ['spencer', '/home/ajh'],
      ['dimboola', '/Users/ajh'],
      ['hamilton', '/Users/ajh'],
    ]);
    // A per-OS root wins over the common one for its OS.
    const mixed = buildConfigFromMachineTxt(SEED_SAMPLE + 'nowhere,,,unknown\n', FILE, { roots: { root: '/srv/ajh', darwin: '/Users/ajh' } });
    expect((await readBack(mixed.yaml)).machines.map((m) => [m.name, m.root])).toEqual([
      ['spencer', '/srv/ajh'],
      ['dimboola', '/Users/ajh'],
      ['hamilton', '/Users/ajh'],
      ['nowhere', '/srv/ajh'],
    ]);
    const linuxOnly = buildConfigFromMachineTxt(SEED_SAMPLE, FILE, { roots: { linux: '/home/ajh' } });
    expect(Object.keys(parseDocument(linuxOnly.yaml).toJS().machines)).toEqual(['spencer']);
    expect(linuxOnly.notes).toEqual([
      `${FILE}:4: dimboola not carried: no root for darwin (pass --root or --root-darwin)`,
      `${FILE}:5: hamilton not carried: no root for darwin (pass --root or --root-darwin)`,
    ]);
    const none = blatError(() => buildConfigFromMachineTxt('mac,,Darwin,online\n', FILE, { roots: { linux: '/home/ajh' } }));
    expect(none.lines).toEqual([`${FILE}: no machine could be carried`, `${FILE}:1: mac not carried: no root for darwin (pass --root or --root-darwin)`]);
    expect(blatError(() => buildConfigFromMachineTxt(SEED_SAMPLE, FILE, { roots: { darwin: 'Users/ajh' } })).summary).toBe('root "Users/ajh" must be an absolute path');
  });

  it('drops an alias already used by an earlier machine, or naming another machine, so the result stays valid, and says so', async () => {
    const input = 'a,1.1.1.1,Linux,online,[(shared,9.9.9.9),(b,9.9.9.9),(a,1.1.1.1)]\nb,1.1.1.2,Linux,online,[(shared,9.9.9.9),(own,9.9.9.9)]\n';
    const result = buildConfigFromMachineTxt(input, FILE, { roots: { root: '/home/ajh' } });
    const config = await readBack(result.yaml);
    expect(config.machines.map((m) => [m.name, m.aliases])).toEqual([
      ['a', ['shared']],
      ['b', ['own']],
    ]);
    // An alias that is the machine's own name is no loss, and not said.
    expect(result.notes).toEqual([
      `${FILE}:1: alias "b" of a is the name of machine b: left out`,
      `${FILE}:2: alias "shared" of b is already an alias of a: left out`,
    ]);
  });

  it('reports every bad line at once, one line each', () => {
    const error = blatError(() => buildConfigFromMachineTxt('a,1,Linux,online\nnot a line\nb,2,Linux,asleep\na,3,Linux,online\n', FILE, { roots: { root: '/home/ajh' } }));
    expect(error.lines).toEqual([
      `${FILE}:2: cannot parse machine entry: "not a line" (expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]])`,
      `${FILE}:3: cannot parse machine entry: unknown state "asleep" (expected online, offline, unknown or outofuse)`,
      `${FILE}:4: cannot parse machine entry: machine "a" is already listed on line 1`,
    ]);
  });

  it.each([
    ['spencer,10.0.0.120,Linux', 'cannot parse machine entry: "spencer,10.0.0.120,Linux" (expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]])'],
    ['a,1,Linux,online,[(x)]', 'cannot parse machine entry: cannot read alias "(x)" (expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]])'],
    ['a,1,Linux,online,extra', 'cannot parse machine entry: "a,1,Linux,online,extra" (expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]])'],
    [',,Linux,online', 'cannot parse machine entry: ",,Linux,online" has neither a machine name nor an IP address'],
    ['-oProxyCommand=x,1,Linux,online', 'cannot parse machine entry: machine name "-oProxyCommand=x" must be letters, digits, ".", "_" and "-", starting with a letter or digit'],
    ['a,1,Linux,asleep', 'cannot parse machine entry: unknown state "asleep" (expected online, offline, unknown or outofuse)'],
    ['a\u001b[2J,1,Linux', 'cannot parse machine entry: "a\\x1b[2J,1,Linux" (expected machine,IPaddress,OS,state[,[(alias,aliasIP),...]])'],
  ])('rejects %j with its line number', (line, message) => {
    const error = blatError(() => buildConfigFromMachineTxt(`# header\n\n${line}\n`, FILE, { roots: { root: '/home/ajh' } }));
    expect(error.summary).toBe(`${FILE}:3: ${message}`);
  });

  it('rejects a machine listed twice', () => {
    const error = blatError(() => buildConfigFromMachineTxt('a,1,Linux,online\nb,2,Linux,online\na,3,Linux,online\n', FILE, { roots: { root: '/home/ajh' } }));
    expect(error.summary).toBe(`${FILE}:3: cannot parse machine entry: machine "a" is already listed on line 1`);
  });

  it('rejects a file with no machines and a relative root', () => {
    expect(blatError(() => buildConfigFromMachineTxt('# only comments\n', FILE, { roots: { root: '/home/ajh' } })).summary).toBe(`${FILE}: no machine entries found`);
    expect(blatError(() => buildConfigFromMachineTxt(SEED_SAMPLE, FILE, { roots: { root: '~' } })).summary).toBe('root "~" must be an absolute path');
  });
});
