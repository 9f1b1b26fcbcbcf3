import { describe, expect, it } from 'vitest';
import { caught } from '../helpers/errors.js';
import { resolveTargets } from '../../src/config/targets.js';
import { UsageError } from '../../src/errors.js';
import type { Config } from '../../src/types.js';

const FILE = '/cfg/blat.yaml';
const ROOT = '/home/ajh';

const CONFIG: Config = {
  file: FILE,
  version: 1,
  paths: ['docs', 'etc/machine.txt', 'etc/profile', 'src/blat'],
  exclude: [],
  stateDir: '/cfg/.blat',
  concurrency: 8,
  modifyWindow: 1,
  ssh: { options: [], connectTimeout: 5 },
  machines: [{ name: 'spencer', transport: 'ssh', host: 'spencer', root: ROOT, aliases: [] }],
  digest: '0'.repeat(64),
};

const usageError = (fn: () => unknown): UsageError => caught(UsageError, fn);

describe('resolveTargets', () => {
  it('covers every entry of paths: without arguments', () => {
    expect(resolveTargets(CONFIG, ROOT, '/anywhere', [])).toEqual(['docs', 'etc/machine.txt', 'etc/profile', 'src/blat']);
  });

  it('narrows to a sub-path of an entry', () => {
    expect(resolveTargets(CONFIG, ROOT, ROOT, ['docs/sub'])).toEqual(['docs/sub']);
    expect(resolveTargets(CONFIG, ROOT, `${ROOT}/docs`, ['sub/file name.txt'])).toEqual(['docs/sub/file name.txt']);
    expect(resolveTargets(CONFIG, ROOT, ROOT, ['docs/'])).toEqual(['docs']);
    expect(resolveTargets(CONFIG, ROOT, '/elsewhere', [`${ROOT}/src/blat/x.ts`])).toEqual(['src/blat/x.ts']);
  });

  it('widens a parent of entries to those entries', () => {
    expect(resolveTargets(CONFIG, ROOT, ROOT, ['etc'])).toEqual(['etc/machine.txt', 'etc/profile']);
    expect(resolveTargets(CONFIG, ROOT, `${ROOT}/etc`, ['.'])).toEqual(['etc/machine.txt', 'etc/profile']);
    expect(resolveTargets(CONFIG, ROOT, `${ROOT}/docs/a`, ['../../src'])).toEqual(['src/blat']);
  });

  it('treats the root itself as all paths', () => {
    expect(resolveTargets(CONFIG, ROOT, ROOT, ['.'])).toEqual(['docs', 'etc/machine.txt', 'etc/profile', 'src/blat']);
    expect(resolveTargets(CONFIG, `${ROOT}/`, '/', [ROOT, 'home/ajh/docs/x'])).toEqual(['docs', 'etc/machine.txt', 'etc/profile', 'src/blat']);
  });

  it('sorts, de-duplicates and folds nested targets into their ancestor', () => {
    expect(resolveTargets(CONFIG, ROOT, ROOT, ['src/blat/b', 'docs/x/y', 'docs/x', 'src/blat/a', 'docs/x'])).toEqual(['docs/x', 'src/blat/a', 'src/blat/b']);
    expect(resolveTargets(CONFIG, ROOT, ROOT, ['etc/profile/x', 'etc'])).toEqual(['etc/machine.txt', 'etc/profile']);
  });

  it('rejects a path outside self\'s root', () => {
    expect(usageError(() => resolveTargets(CONFIG, ROOT, ROOT, ['../other/docs'])).summary).toBe(`../other/docs is outside self's root ${ROOT}`);
    expect(usageError(() => resolveTargets(CONFIG, ROOT, '/tmp', ['docs'])).summary).toBe(`docs is outside self's root ${ROOT}`);
    expect(usageError(() => resolveTargets(CONFIG, ROOT, ROOT, ['/home/ajh2/docs'])).summary).toBe(`/home/ajh2/docs is outside self's root ${ROOT}`);
  });

  it('rejects a path under no entry of paths:', () => {
    expect(usageError(() => resolveTargets(CONFIG, ROOT, ROOT, ['docs2'])).summary).toBe(`docs2 is not under any entry of paths: in ${FILE}`);
    expect(usageError(() => resolveTargets(CONFIG, ROOT, ROOT, ['etc/passwd'])).summary).toBe(`etc/passwd is not under any entry of paths: in ${FILE}`);
  });

  it('keeps hostile names off the terminal raw', () => {
    const error = usageError(() => resolveTargets(CONFIG, ROOT, ROOT, ['x\n\u001b[31m']));
    expect(error.summary).toBe(`x\\n\\x1b[31m is not under any entry of paths: in ${FILE}`);
  });
});
