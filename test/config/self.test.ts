import { describe, expect, it } from 'vitest';
import { caught } from '../helpers/errors.js';
import { CONTROLLER, resolveSelf } from '../../src/config/self.js';
import { UsageError } from '../../src/errors.js';
import type { Config, MachineConfig } from '../../src/types.js';

const FILE = '/home/ajh/blat.yaml';

function machine(name: string, rest: Partial<MachineConfig> = {}): MachineConfig {
  return { name, transport: 'ssh', host: name, root: '/home/ajh', aliases: [], ...rest };
}

function config(machines: MachineConfig[], self?: string): Config {
  return {
    file: FILE,
    version: 1,
    ...(self !== undefined ? { self } : {}),
    paths: ['docs'],
    exclude: [],
    stateDir: '/home/ajh/.blat',
    concurrency: 8,
    modifyWindow: 1,
    ssh: { options: [], connectTimeout: 5 },
    machines,
    digest: '0'.repeat(64),
  };
}

const MACHINES = [
  machine('spencer', { host: 'spencer.local', aliases: ['ajh.co'] }),
  machine('dimboola', { host: 'ajh@dimboola.example.net', root: '/Users/ajh', os: 'darwin' }),
  machine('hamilton', { host: 'hamilton.local', state: 'outofuse' }),
  machine('usbdisk', { transport: 'local', host: undefined, root: '/media/backup' }),
];

const usageError = (fn: () => unknown): UsageError => caught(UsageError, fn);

describe('resolveSelf: explicit names', () => {
  it('takes --self first, then BLAT_SELF, then self: in the config', () => {
    const cfg = config(MACHINES, 'usbdisk');
    expect(resolveSelf(cfg, { flag: 'dimboola', env: { BLAT_SELF: 'spencer' }, hostname: 'spencer' })).toBe('dimboola');
    expect(resolveSelf(cfg, { env: { BLAT_SELF: 'spencer' }, hostname: 'dimboola' })).toBe('spencer');
    expect(resolveSelf(cfg, { env: {}, hostname: 'spencer' })).toBe('usbdisk');
    expect(resolveSelf(cfg, { env: { BLAT_SELF: '' }, hostname: 'spencer' })).toBe('usbdisk');
  });

  it('rejects a name that is not a machine, listing the machines', () => {
    const fromFlag = usageError(() => resolveSelf(config(MACHINES), { flag: 'nosuch', env: {}, hostname: 'spencer' }));
    expect(fromFlag.summary).toBe(`--self names "nosuch", which is not a machine in ${FILE} (machines: spencer, dimboola, hamilton, usbdisk)`);
    const fromEnv = usageError(() => resolveSelf(config(MACHINES), { env: { BLAT_SELF: 'x\u001b[2J' }, hostname: 'spencer' }));
    expect(fromEnv.summary).toBe(`BLAT_SELF names "x\\x1b[2J", which is not a machine in ${FILE} (machines: spencer, dimboola, hamilton, usbdisk)`);
  });

  it('does not accept an alias or host as an explicit name', () => {
    expect(usageError(() => resolveSelf(config(MACHINES), { flag: 'ajh.co', env: {}, hostname: 'x' })).summary).toContain('"ajh.co"');
  });

  it('refuses to run on an out-of-use machine', () => {
    const error = usageError(() => resolveSelf(config(MACHINES), { flag: 'hamilton', env: {}, hostname: 'x' }));
    expect(error.summary).toBe(`this machine, "hamilton", is declared "state: outofuse" in ${FILE}; remove that line to run blat here`);
    expect(() => resolveSelf(config(MACHINES), { env: {}, hostname: 'hamilton.local' })).toThrow(UsageError);
  });
});

describe('resolveSelf: by hostname', () => {
  it.each([
    ['spencer', 'spencer'],
    ['SPENCER', 'spencer'],
    ['spencer.local', 'spencer'],
    ['spencer.lan', 'spencer'],
    ['ajh.co', 'spencer'],
    ['dimboola.example.net', 'dimboola'],
    ['dimboola', 'dimboola'],
    ['usbdisk', 'usbdisk'],
  ])('hostname %j is %j', (hostname, expected) => {
    expect(resolveSelf(config(MACHINES), { env: {}, hostname })).toBe(expected);
  });

  it('says how to set it when nothing matches', () => {
    const error = usageError(() => resolveSelf(config(MACHINES), { env: {}, hostname: 'laptop' }));
    expect(error.summary).toBe(
      `cannot tell which machine this is (hostname "laptop" matches none of: spencer, dimboola, hamilton, usbdisk); ` +
        `pass --self NAME, set BLAT_SELF, or add "self: NAME" to ${FILE}`,
    );
  });

  it('never guesses between two matches', () => {
    const twins = [machine('a', { host: 'web.a.example' }), machine('b', { host: 'web.b.example' }), machine('db')];
    const error = usageError(() => resolveSelf(config(twins), { env: {}, hostname: 'web' }));
    expect(error.summary).toBe(
      `cannot tell which machine this is (hostname "web" matches more than one of: a, b); ` +
        `pass --self NAME, set BLAT_SELF, or add "self: NAME" to ${FILE}`,
    );
  });

  it('prefers a full match over a first-label match', () => {
    const machines = [machine('spencer', { host: 'spencer.local' }), machine('spencer2', { host: 'spencer.lan' })];
    expect(resolveSelf(config(machines), { env: {}, hostname: 'spencer.lan' })).toBe('spencer2');
  });

  it('does not split IP addresses into labels', () => {
    const machines = [machine('a', { host: '10.0.0.120' }), machine('b', { host: '10.0.0.121' })];
    expect(resolveSelf(config(machines), { env: {}, hostname: '10.0.0.121' })).toBe('b');
    expect(() => resolveSelf(config(machines), { env: {}, hostname: '10' })).toThrow(/matches none of: a, b/);
  });
});

describe('resolveSelf: none (a controller)', () => {
  it('is none from --self, BLAT_SELF or self: in the config, whatever the hostname matches', () => {
    expect(resolveSelf(config(MACHINES), { flag: 'none', env: {}, hostname: 'spencer' })).toBe(CONTROLLER);
    expect(resolveSelf(config(MACHINES), { env: { BLAT_SELF: 'none' }, hostname: 'spencer' })).toBe(CONTROLLER);
    expect(resolveSelf(config(MACHINES, 'none'), { env: {}, hostname: 'spencer' })).toBe(CONTROLLER);
    expect(CONTROLLER).toBe('none');
  });

  it('gives way to a machine named first: --self over BLAT_SELF=none and self: none', () => {
    expect(resolveSelf(config(MACHINES, 'none'), { flag: 'spencer', env: { BLAT_SELF: 'none' }, hostname: 'x' })).toBe('spencer');
    expect(resolveSelf(config(MACHINES, 'spencer'), { flag: 'none', env: {}, hostname: 'x' })).toBe(CONTROLLER);
  });
});
