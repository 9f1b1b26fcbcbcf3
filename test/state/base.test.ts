import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlatError } from '../../src/errors.js';
import { buildUnderTest } from '../../src/config/paths.js';
import { addCoverage, adoptPartialBase, buildBaseAfterSync, findBaseOrigin, isBaseAt, readBase, withCoverage, writeBase } from '../../src/state/base.js';
import { LayeredEntries } from '../../src/layeredEntries.js';
import type { Base, Entry } from '../../src/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blat-base-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (mtime: number, size = 10): Entry => ({ type: 'file', mtime, size, mode: 0o644 });
const base = (machines: Record<string, Record<string, Entry>>): Base =>
  new Map(Object.entries(machines).map(([m, entries]) => [m, new Map(Object.entries(entries))]));
const plain = (b: Base): Record<string, Record<string, Entry>> =>
  Object.fromEntries([...b].map(([m, entries]) => [m, Object.fromEntries(entries)]));

describe('readBase / writeBase', () => {
  it('reads an empty base when there is no file', async () => {
    expect((await readBase(join(dir, 'none'))).size).toBe(0);
  });

  it('round-trips every entry type and hostile names exactly', async () => {
    const original = base({
      'laptop "one"': {
        'docs/new\nline.txt': { type: 'file', mtime: 1_700_000_000.123456, size: 1234, mode: 0o600 },
        'docs/"quoted" name': file(1_600_000_000),
        '-rf': file(1, 0),
        '$(rm -rf ~)/`x`': { type: 'dir', mtime: 1_700_000_001.5, size: 0, mode: 0o755 },
        'back\\slash\ttab é 日本': file(2),
        'link -> there': { type: 'symlink', mtime: 3.25, size: 12, mode: 0o777, target: '../a\nb "c"' },
      },
      server: { docs: { type: 'dir', mtime: 4, size: 0, mode: 0o700 } },
      empty: {},
    });
    await writeBase(join(dir, '.blat'), original);
    expect(await readdir(join(dir, '.blat'))).toEqual(['base.json']);
    const back = await readBase(join(dir, '.blat'));
    // A machine with no entries holds nothing: it is not kept.
    const { empty: _empty, ...rest } = plain(original);
    expect(plain(back)).toEqual(rest);
    expect([...back.get('laptop "one"')!.keys()]).toEqual([...original.get('laptop "one"')!.keys()]);
    const text = await readFile(join(dir, '.blat', 'base.json'), 'utf8');
    expect(JSON.parse(text).machines).toEqual(['laptop "one"', 'server', 'empty']);
    expect(JSON.parse(text).entries).toContainEqual(['docs', 0b10, 'd', 4, 0, 0o700]);
    // one tuple per line: 6 + 1 entries
    expect(text.split('\n').filter((l) => l.startsWith('[')).length).toBe(7);
  });

  it('writes an entry that several machines hold once, and reads it back for each of them', async () => {
    const shared = file(1_700_000_000.5);
    const original = base({ a: { 'docs/x': shared, 'docs/y': file(5) }, b: { 'docs/x': { ...shared } }, c: { 'docs/x': shared, 'docs/y': file(6) } });
    await writeBase(dir, original);
    const doc = JSON.parse(await readFile(join(dir, 'base.json'), 'utf8'));
    expect(doc.entries).toEqual([
      ['docs/x', 0b111, 'f', 1_700_000_000.5, 10, 0o644],
      ['docs/y', 0b001, 'f', 5, 10, 0o644],
      ['docs/y', 0b100, 'f', 6, 10, 0o644],
    ]);
    const back = await readBase(dir);
    expect(plain(back)).toEqual(plain(original));
    expect(back.get('a')!.get('docs/x')).toBe(back.get('b')!.get('docs/x'));
  });

  it('names the file when base.json is not JSON or has a bad entry', async () => {
    const path = join(dir, 'base.json');
    await writeFile(path, '{"formatVersion":2,"machines":["a"],"entries":[["x",1,"f",1,2');
    const notJson = await readBase(dir).catch((e: unknown) => e);
    expect(notJson).toBeInstanceOf(BlatError);
    expect((notJson as BlatError).summary).toMatch(/base\.json: not valid JSON \(.+\); delete it to start afresh$/);
    expect((notJson as BlatError).summary.startsWith(path)).toBe(true);
    await writeFile(path, JSON.stringify({ formatVersion: 2, machines: ['a'], entries: [['x', 1, 'f', 1, 2, 420], ['y', 1, 'q', 1, 2, 420]] }));
    const badRow = await readBase(dir).catch((e: unknown) => e);
    expect((badRow as BlatError).summary).toBe(`${path}: not a blat base file (entries[1] is not a valid entry); delete it to start afresh`);
    await writeFile(path, JSON.stringify({ formatVersion: 2, machines: ['a'], entries: [['x', 0b10, 'f', 1, 2, 420]] }));
    const badHolder = await readBase(dir).catch((e: unknown) => e);
    expect((badHolder as BlatError).summary).toMatch(/entries\[0\] is not a valid entry/);
  });
});

describe('buildUnderTest', () => {
  it('matches a scope and its segment-wise descendants only', () => {
    const inScope = buildUnderTest(['docs', 'src/app', 'notes.txt']);
    expect(['docs', 'docs/a', 'docs/a/b', 'src/app/x', 'notes.txt'].map(inScope)).toEqual([true, true, true, true, true]);
    expect(['docs2', 'doc', 'src', 'src/apple', 'notes.txt.bak', 'x/docs'].map(inScope)).toEqual([false, false, false, false, false, false]);
  });
});

describe('buildBaseAfterSync', () => {
  const previous = base({
    a: { 'docs/x': file(1), 'docs/gone': file(2), 'docs/kept': file(3), 'other/y': file(4) },
    b: { 'docs/x': file(1), 'other/z': file(5) },
    offline: { 'docs/x': file(0) },
  });
  const current = new Map<string, ReadonlyMap<string, Entry>>([
    ['a', new Map([['docs/x', file(10)], ['docs/kept', file(30)], ['docs/new', file(40)], ['outside', file(50)]])],
    ['b', new Map([['docs/x', file(10)], ['docs/conflict', file(60)]])],
  ]);
  const never = (): boolean => false;

  it('replaces in-scope entries of current machines, drops vanished ones, leaves everything else', () => {
    const next = buildBaseAfterSync(previous, current, ['docs'], never);
    expect(plain(next)).toEqual({
      offline: { 'docs/x': file(0) },
      a: { 'docs/x': file(10), 'docs/kept': file(30), 'docs/new': file(40), 'other/y': file(4) },
      b: { 'docs/x': file(10), 'docs/conflict': file(60), 'other/z': file(5) },
    });
  });

  it('keeps the previous entry, or the absence, where keep() says so', () => {
    const keep = (machine: string, path: string): boolean =>
      (machine === 'a' && path === 'docs/kept') || (machine === 'a' && path === 'docs/new') || (machine === 'b' && path === 'docs/conflict');
    const next = buildBaseAfterSync(previous, current, ['docs'], keep);
    expect(plain(next).a).toEqual({ 'docs/x': file(10), 'docs/kept': file(3), 'other/y': file(4) });
    expect(plain(next).b).toEqual({ 'docs/x': file(10), 'other/z': file(5) });
  });

  it('treats scopes segment-wise and as exact file paths', () => {
    const prev = base({ a: { docs2: file(1), 'docs/x': file(1), 'notes.txt': file(1) } });
    const cur = new Map([['a', new Map([['docs2', file(2)], ['docs/x', file(2)], ['notes.txt', file(2)]])]]);
    const next = buildBaseAfterSync(prev, cur, ['docs', 'notes.txt'], never);
    expect(plain(next).a).toEqual({ docs2: file(1), 'docs/x': file(2), 'notes.txt': file(2) });
  });

  it('adds machines new to the base, omits machines left empty, and does not modify its inputs', () => {
    const prev = base({ a: { 'docs/x': file(1) } });
    const cur = new Map([
      ['a', new Map<string, Entry>()],
      ['c', new Map([['docs/x', file(2)]])],
    ]);
    const next = buildBaseAfterSync(prev, cur, ['docs'], never);
    expect(plain(next)).toEqual({ c: { 'docs/x': file(2) } });
    expect(plain(prev)).toEqual({ a: { 'docs/x': file(1) } });
    expect(cur.get('a')!.size).toBe(0);
  });
});

describe('the change log (base.changes.jsonl)', () => {
  const logOf = async (): Promise<string> => readFile(join(dir, 'base.changes.jsonl'), 'utf8').catch(() => '');
  const generationOf = async (): Promise<string> => JSON.parse(await readFile(join(dir, 'base.json'), 'utf8')).generation as string;
  /** A base of `n` paths held alike by a and b. */
  const wide = (n: number): Base => {
    const entries = new Map<string, Entry>();
    for (let i = 0; i < n; i++) entries.set(`docs/f${i}`, file(1_700_000_000 + i));
    return new Map([['a', entries], ['b', new Map(entries)]]);
  };
  /** `b` with single paths changed per machine (null removes). */
  const edit = (b: Base, changes: Record<string, Record<string, Entry | null>>): Base => {
    const next = new Map(b);
    for (const [m, paths] of Object.entries(changes)) {
      const entries = new Map(b.get(m) ?? []);
      for (const [p, e] of Object.entries(paths)) {
        if (e === null) entries.delete(p);
        else entries.set(p, e);
      }
      next.set(m, entries);
    }
    return next;
  };

  it('appends only the changed paths when the base written was read back, and reads them back exactly', async () => {
    await writeBase(dir, wide(10));
    const baseText = await readFile(join(dir, 'base.json'), 'utf8');
    const read = await readBase(dir);
    const next = edit(read, {
      a: { 'docs/f1': file(5), 'docs/f2': null, 'docs/new\nline "q"': file(6) },
      b: { 'docs/f1': file(5), 'docs/f3': { type: 'symlink', mtime: 7, size: 3, mode: 0o777, target: '$(x)' } },
      c: { 'docs/f4': file(8) },
    });
    await writeBase(dir, next, read);
    expect(await readFile(join(dir, 'base.json'), 'utf8')).toBe(baseText);
    const lines = (await logOf()).split('\n');
    expect(lines).toHaveLength(2); // one line and the newline that ends it
    const change = JSON.parse(lines[0]);
    expect(change.generation).toBe(await generationOf());
    expect([...change.paths].sort()).toEqual(['docs/f1', 'docs/f2', 'docs/f3', 'docs/f4', 'docs/new\nline "q"']);
    const back = await readBase(dir);
    expect(plain(back)).toEqual(plain(next));
    // A second change goes after the first.
    const again = edit(back, { b: { 'docs/f1': null } });
    await writeBase(dir, again, back);
    expect((await logOf()).split('\n')).toHaveLength(3);
    expect(plain(await readBase(dir))).toEqual(plain(again));
  });

  it('reads entries that every machine holds alike into one map they share, through the log too', async () => {
    await writeBase(dir, edit(wide(3), { a: { 'docs/own': file(1) } }));
    const read = await readBase(dir);
    expect(read.get('b')!.size).toBe(3);
    expect((read.get('a') as LayeredEntries).shared).toBe(read.get('b'));
    const next = edit(read, { a: { 'docs/f0': file(2) }, b: { 'docs/f0': file(2), 'docs/f1': file(3) } });
    await writeBase(dir, next, read);
    const back = await readBase(dir);
    expect(plain(back)).toEqual(plain(next));
    expect((back.get('a') as LayeredEntries).shared.get('docs/f0')?.mtime).toBe(2);
    expect((back.get('b') as LayeredEntries).own.get('docs/f1')?.mtime).toBe(3);
  });

  it('writes nothing when nothing changed', async () => {
    await writeBase(dir, wide(3));
    const read = await readBase(dir);
    await writeBase(dir, edit(read, { a: { 'docs/f1': file(1_700_000_001) } }), read); // the same entry, another object
    expect(await readdir(dir)).toEqual(['base.json']);
  });

  it('ignores a last line cut short, and then rewrites base.json rather than append after it', async () => {
    await writeBase(dir, wide(5));
    const read = await readBase(dir);
    const next = edit(read, { a: { 'docs/f0': file(9) } });
    await writeBase(dir, next, read);
    const whole = await logOf();
    await writeFile(join(dir, 'base.changes.jsonl'), whole + whole.slice(0, 30));
    const back = await readBase(dir);
    expect(plain(back)).toEqual(plain(next));
    const generation = await generationOf();
    const later = edit(back, { b: { 'docs/f0': file(9) } });
    await writeBase(dir, later, back);
    expect(await generationOf()).not.toBe(generation);
    expect(await readdir(dir)).toEqual(['base.json']);
    expect(plain(await readBase(dir))).toEqual(plain(later));
  });

  it('ignores lines of another generation (left from before base.json was rewritten)', async () => {
    await writeBase(dir, wide(3));
    const read = await readBase(dir);
    await writeBase(dir, edit(read, { a: { 'docs/f0': null } }), read);
    const oldLog = await logOf();
    await writeBase(dir, wide(3)); // rewritten: a new generation
    await writeFile(join(dir, 'base.changes.jsonl'), oldLog);
    const back = await readBase(dir);
    expect(plain(back)).toEqual(plain(wide(3)));
    // and is not appended to: a change rewrites base.json
    await writeBase(dir, edit(back, { a: { 'docs/f1': null } }), back);
    expect(await readdir(dir)).toEqual(['base.json']);
  });

  it('rewrites base.json once the log names more paths than a quarter of its rows (at least 1000)', async () => {
    await writeBase(dir, wide(8000));
    let read = await readBase(dir);
    const generation = await generationOf();
    const bump = (b: Base, from: number, count: number): Base => {
      const changes: Record<string, Entry> = {};
      for (let i = from; i < from + count; i++) changes[`docs/f${i}`] = file(i);
      return edit(b, { a: changes });
    };
    let next = bump(read, 0, 1500);
    await writeBase(dir, next, read);
    expect(await generationOf()).toBe(generation);
    read = await readBase(dir);
    next = bump(read, 1500, 1000); // 2,500 > 8,000 / 4
    await writeBase(dir, next, read);
    expect(await generationOf()).not.toBe(generation);
    expect(await readdir(dir)).toEqual(['base.json']);
    expect(plain(await readBase(dir))).toEqual(plain(next));
  });

  describe('a partial base (some paths of the one on disk)', () => {
    /** The paths `paths` of `b`, as a partial base of what is on disk now. */
    const partOf = async (paths: readonly string[]): Promise<Base> => {
      const whole = await readBase(dir);
      const part: Base = new Map([...whole].map(([m, entries]) => [m, new Map(paths.flatMap((p) => (entries.has(p) ? [[p, entries.get(p)!] as const] : [])))]));
      adoptPartialBase(part, findBaseOrigin(whole)!);
      return part;
    };

    it('appends what changed at its paths and leaves every other path as it was', async () => {
      await writeBase(dir, wide(50));
      const part = await partOf(['docs/f1', 'docs/f2']);
      const next = edit(part, { a: { 'docs/f1': file(9), 'docs/new': file(10) }, b: { 'docs/f2': null } });
      await writeBase(dir, next, part);
      const back = plain(await readBase(dir));
      const want = plain(edit(wide(50), { a: { 'docs/f1': file(9), 'docs/new': file(10) }, b: { 'docs/f2': null } }));
      expect(back).toEqual(want);
      expect(JSON.parse(await logOf()).paths.sort()).toEqual(['docs/f1', 'docs/f2', 'docs/new']);
    });

    it('rewrites the whole base, not just its paths, when the log is full', async () => {
      await writeBase(dir, wide(4000));
      const generation = await generationOf();
      const paths = Array.from({ length: 1200 }, (_, i) => `docs/f${i}`);
      const part = await partOf(paths);
      const changes: Record<string, Entry> = {};
      for (const p of paths) changes[p] = file(7);
      const next = edit(part, { a: changes }); // 1,200 > max(1000, 4000 / 4)
      await writeBase(dir, next, part);
      expect(await generationOf()).not.toBe(generation);
      const back = await readBase(dir);
      expect(plain(back)).toEqual(plain(edit(wide(4000), { a: changes })));
      expect(back.get('b')!.size).toBe(4000);
    });

    it('isBaseAt tells whether the base on disk is still the one of an origin', async () => {
      await writeBase(dir, wide(5));
      const read = await readBase(dir);
      const origin = findBaseOrigin(read)!;
      expect(await isBaseAt(dir, origin)).toBe(true);
      const next = edit(read, { a: { 'docs/f0': file(1) } });
      await writeBase(dir, next, read); // appended: the log grew
      expect(await isBaseAt(dir, origin)).toBe(false);
      expect(await isBaseAt(dir, findBaseOrigin(next)!)).toBe(true);
      await writeBase(dir, wide(5)); // rewritten: another generation
      expect(await isBaseAt(dir, findBaseOrigin(next)!)).toBe(false);
      expect(await isBaseAt(join(dir, 'none'), origin)).toBe(false);
    });
  });

  it('rewrites base.json when the log changed since it was read', async () => {
    await writeBase(dir, wide(3));
    const read = await readBase(dir);
    await writeFile(join(dir, 'base.changes.jsonl'), '\n'); // read when there was none
    const generation = await generationOf();
    const next = edit(read, { a: { 'docs/f0': null } });
    await writeBase(dir, next, read);
    expect(await generationOf()).not.toBe(generation);
    expect(plain(await readBase(dir))).toEqual(plain(next));
  });

  it('names the log and its line when a whole line before the last is damaged', async () => {
    await writeBase(dir, wide(3));
    const read = await readBase(dir);
    await writeBase(dir, edit(read, { a: { 'docs/f0': null } }), read);
    const line = await logOf();
    await writeFile(join(dir, 'base.changes.jsonl'), `{"generation":\n${line}`);
    const error = await readBase(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlatError);
    expect((error as BlatError).summary).toBe(`${join(dir, 'base.changes.jsonl')}:1: not a blat base change; delete it and base.json to start afresh`);
    const badRow = line.replace('"entries":[', '"entries":[["x",1,"q",1,2,3],');
    await writeFile(join(dir, 'base.changes.jsonl'), badRow);
    const rowError = await readBase(dir).catch((e: unknown) => e);
    expect((rowError as BlatError).summary).toBe(`${join(dir, 'base.changes.jsonl')}:1: entries[0] is not a valid entry; delete it and base.json to start afresh`);
  });
});

describe('coverage (which sync paths each machine was last synced for)', () => {
  const covering = (b: Base, covered: Record<string, string[]>): Base => withCoverage(b, new Map(Object.entries(covered)));
  const coveredOf = (b: Base): Record<string, readonly string[]> => Object.fromEntries(b.covered ?? []);

  it('is written in base.json and read back, also for a machine holding nothing; a base.json without it covers nothing', async () => {
    await writeBase(dir, covering(base({ a: { 'docs/x': file(1) } }), { a: ['docs'], empty: ['docs', 'notes'] }));
    expect(coveredOf(await readBase(dir))).toEqual({ a: ['docs'], empty: ['docs', 'notes'] });
    await writeBase(dir, base({ a: { 'docs/x': file(1) } }));
    expect((await readBase(dir)).covered).toBeUndefined();
  });

  it('grows through the change log, even when no entry changed', async () => {
    await writeBase(dir, covering(base({ a: { 'docs/x': file(1) }, b: { 'docs/x': file(1) } }), { a: ['docs'] }));
    const read = await readBase(dir);
    const next = buildBaseAfterSync(read, new Map([['a', read.get('a')!], ['b', read.get('b')!]]), ['docs', 'notes'], () => false);
    expect(coveredOf(next)).toEqual({ a: ['docs', 'notes'], b: ['docs', 'notes'] });
    await writeBase(dir, next, read);
    expect(await readFile(join(dir, 'base.changes.jsonl'), 'utf8')).toContain('"covered":{"a":["notes"],"b":["docs","notes"]}');
    const back = await readBase(dir);
    expect(coveredOf(back)).toEqual({ a: ['docs', 'notes'], b: ['docs', 'notes'] });
    // Nothing new: nothing written.
    const same = buildBaseAfterSync(back, new Map([['a', back.get('a')!]]), ['docs/x'], () => false);
    expect(same.covered).toBe(back.covered);
    await writeBase(dir, same, back);
    expect((await readFile(join(dir, 'base.changes.jsonl'), 'utf8')).split('\n')).toHaveLength(2);
  });

  it('refuses a damaged covered value, naming the file', async () => {
    await writeFile(join(dir, 'base.json'), '{"formatVersion":2,"generation":"ab","machines":[],"covered":{"a":"docs"},"entries":[]}\n');
    const error = await readBase(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlatError);
    expect((error as Error).message).toContain('covered');
  });

  it('after a sync: the machines that took part are covered for the scanned paths, the others keep theirs', () => {
    const previous = covering(base({ a: { 'docs/x': file(1) }, c: { 'docs/x': file(1) } }), { c: ['docs'] });
    const next = buildBaseAfterSync(previous, new Map([['a', new Map()], ['b', new Map([['docs/y', file(2)]])]]), ['docs/sub'], () => false);
    expect(coveredOf(next)).toEqual({ c: ['docs'], a: ['docs/sub'], b: ['docs/sub'] });
    // A wider path replaces the narrower ones it holds.
    expect(Object.fromEntries(addCoverage(next.covered, new Map([['a', ['docs']]])))).toMatchObject({ a: ['docs'] });
  });
});
