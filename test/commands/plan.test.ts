// End to end: `blat plan` against three ssh machines behind the harness sshd, one out-of-use
// ssh machine (`dead`) and self as a `transport: local` machine, with hostile file names.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, runBlat } from '../helpers/cli.js';
import { makeSandbox, type Sandbox } from '../helpers/machines.js';
import type { ProcessResult } from '../helpers/proc.js';
import { readLoginUser } from '../helpers/provided.js';
import { shareSshd, type SshdHandle } from '../helpers/sshd.js';
import { findNamed, readAllTrees } from './observe.js';
import { makeToolSpy, type ToolSpy } from './toolSpy.js';
import { expectOneError, makeSandboxWithDead } from './support.js';
import { parseSeenLine } from '../../src/state/seenLine.js';

const T = 1_700_000_000;
const RAND = randomBytes(6).toString('hex');
/** What the injection name would create if a shell ever evaluated it. */
const PWNED = `/tmp/blat-pwned-${RAND}`;
/** Contains "/": on disk it is the folders `$(touch ` and `$(touch /tmp` holding `blat-pwned-…)`. */
const INJECT = `$(touch ${PWNED})`;
const INJECT_DIRS = ['docs/$(touch ', 'docs/$(touch /tmp'];
const HOSTILE = ['a b', "it's", 'say "hi"', INJECT, '`touch pwned`', 'x; touch pwned', 'new\nline', '-rf', '--help'];
/** How the text view shows each hostile name (control characters escaped, nothing else touched). */
const SHOWN = (name: string): string => name.replace(/\n/g, '\\n');
const SSH_MACHINES = ['m1', 'm2', 'm3'];
const ALL = ['m1', 'm2', 'm3', 'dead', 'here'];

type Brief = { action: string; path: string; from: string; to: string };
interface EntryDoc {
  type: string;
  mtime: number;
  size: number;
  mode: number;
  target?: string;
}
interface PlanDoc {
  formatVersion: number;
  self: string;
  targets: string[];
  machines: { name: string; status: string; reason?: string; os?: string }[];
  steps: (Brief & { source: EntryDoc | null; target: EntryDoc | null })[];
  deferred: { path: string; machine: string; reason: string; source: EntryDoc }[];
  conflicts: { path: string; reason: string; versions: Record<string, unknown>[] }[];
  deletions: { path: string; deletedOn: string[]; heldOn: string[]; propagated: boolean }[];
  inSync: number;
  summary: Record<string, number>;
}

const validatePlan = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(await readFile(join(REPO_DIR, 'schemas', 'plan.schema.json'), 'utf8')) as object,
);

/** The plan document printed by `--json`, after checking it against schemas/plan.schema.json. */
function parsePlanJson(r: ProcessResult): PlanDoc {
  const doc: unknown = JSON.parse(r.stdout);
  const valid = validatePlan(doc);
  expect(validatePlan.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
  return doc as PlanDoc;
}

const byPathThenTo = (a: Brief, b: Brief): number =>
  a.action === b.action ? (a.path < b.path ? -1 : a.path > b.path ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0) : a.action === 'pull' ? -1 : 1;
const brief = (steps: readonly Brief[]): Brief[] => steps.map(({ action, path, from, to }) => ({ action, path, from, to })).sort(byPathThenTo);

/** Steps whose target is a file or symlink: each replaces a version, kept in trash. */
const keptBy = (doc: PlanDoc): number => doc.steps.filter((s) => s.target !== null && s.target.type !== 'dir').length;
/** The summary line's tail for `kept` versions kept in trash. */
const keptTail = (kept: number): string => (kept > 0 ? `; ${kept} versions will be kept in trash` : '');

/** Asserts the invariant "every pull before every push/trash". */
function expectPullsFirst(steps: readonly Brief[]): void {
  const firstOther = steps.findIndex((s) => s.action !== 'pull');
  const lastPull = steps.map((s) => s.action).lastIndexOf('pull');
  if (firstOther !== -1) expect(lastPull).toBeLessThan(firstOther);
}

/** stderr lines that are not expected: none for a clean run. */
function expectCleanStderr(r: ProcessResult): void {
  expect(r.stderr).toBe('');
}


let sshd: SshdHandle;
let spy: ToolSpy;

beforeAll(async () => {
  sshd = await shareSshd(SSH_MACHINES);
  spy = await makeToolSpy();
});

afterAll(async () => {
  await spy?.cleanup();
  await sshd?.stop();
});

describe('blat plan against three ssh machines, an outofuse one and a local self', () => {
  let box: Sandbox;
  /** Entry as the plan should describe the file on `machine`. */
  const entryOf = async (machine: string, path: string): Promise<EntryDoc> => {
    const st = await box.stat(machine, path);
    return { type: st.type, mtime: st.mtime, size: st.size, mode: st.mode };
  };
  const files = HOSTILE.map((n) => `docs/${n}`);

  beforeAll(async () => {
    box = await makeSandboxWithDead(sshd, ['m1', 'm2', 'm3']);
    for (const m of ALL) await box.mkdir(m, 'docs', T);
    for (const [i, name] of HOSTILE.entries()) {
      // here and m2 agree; m1 lacks every hostile file; m3 holds older, different copies.
      await box.write('here', `docs/${name}`, `here ${i}\n`, T + i);
      await box.write('m2', `docs/${name}`, `here ${i}\n`, T + i);
      await box.write('m3', `docs/${name}`, `old ${i}\n`, T - 1000 + i);
    }
    // m2 has the newest from-m2.txt: pulled to self, pushed to m1 (missing) and m3 (older).
    await box.write('m2', 'docs/from-m2.txt', 'from m2, the newest\n', T + 500);
    await box.write('here', 'docs/from-m2.txt', 'here, older\n', T + 100);
    await box.write('m3', 'docs/from-m2.txt', 'here, older\n', T + 100);
    for (const m of ['m1', 'm2', 'm3', 'here']) await box.write(m, 'docs/same.txt', 'same everywhere\n', T + 7);
    // Never contacted, so never planned for.
    await box.write('dead', 'docs/only-on-dead.txt', 'dead\n', T + 900);
    await box.write('dead', 'docs/same.txt', 'a different one\n', T + 901);
  });

  afterAll(async () => {
    await box?.cleanup();
  });

  it('pulls the newest version to self and pushes to stale machines, hostile names exact, changing nothing', async () => {
    const loginHome = readLoginUser().home;
    const before = await readAllTrees(box, ALL);
    await spy.reset();

    const text = await runBlat(['plan', '--full'], { cwd: box.dir, env: spy.env });
    expectCleanStderr(text);
    expect(text.code).toBe(0);
    const json = await runBlat(['plan', '--json'], { cwd: box.dir, env: spy.env });
    expectCleanStderr(json);
    expect(json.code).toBe(0);
    const doc = parsePlanJson(json);

    // The steps, exactly: one pull to self, pushes from self to every stale online machine.
    const pushed = [...files, ...INJECT_DIRS, 'docs/from-m2.txt'];
    const expected: Brief[] = [{ action: 'pull', path: 'docs/from-m2.txt', from: 'm2', to: 'here' }];
    for (const path of pushed) {
      expected.push({ action: 'push', path, from: 'here', to: 'm1' });
      if (!INJECT_DIRS.includes(path)) expected.push({ action: 'push', path, from: 'here', to: 'm3' });
    }
    expect(brief(doc.steps)).toEqual(brief(expected));
    expect(doc.steps).toHaveLength(1 + 2 * HOSTILE.length + 2 + 2);
    expectPullsFirst(doc.steps);
    expect(doc.steps.some((s) => s.to === 'dead' || s.from === 'dead' || s.to === 'm2' && s.action === 'push')).toBe(false);

    // Each step carries the entries it expects.
    const pull = doc.steps.find((s) => s.action === 'pull')!;
    expect(pull.source).toEqual(await entryOf('m2', 'docs/from-m2.txt'));
    expect(pull.target).toEqual(await entryOf('here', 'docs/from-m2.txt'));
    for (const path of files) {
      const toM1 = doc.steps.find((s) => s.path === path && s.to === 'm1')!;
      const toM3 = doc.steps.find((s) => s.path === path && s.to === 'm3')!;
      expect(toM1.source).toEqual(await entryOf('here', path));
      expect(toM1.target).toBeNull();
      expect(toM3.source).toEqual(await entryOf('here', path));
      expect(toM3.target).toEqual(await entryOf('m3', path));
    }
    // A push after a pull carries the pulled winner as its source.
    for (const s of doc.steps.filter((x) => x.path === 'docs/from-m2.txt' && x.action === 'push')) {
      expect(s.source).toEqual(await entryOf('m2', 'docs/from-m2.txt'));
    }

    expect(doc.self).toBe('here');
    expect(doc.targets).toEqual([]);
    expect(doc.machines.map((m) => [m.name, m.status])).toEqual([
      ['m1', 'online'],
      ['m2', 'online'],
      ['m3', 'online'],
      ['dead', 'outofuse'],
      ['here', 'online'],
    ]);
    expect(doc.deferred).toEqual([]);
    expect(doc.conflicts).toEqual([]);
    expect(doc.deletions).toEqual([]);
    // "docs" and "docs/same.txt" are alike on every online machine.
    expect(doc.inSync).toBe(2);
    const pushes = 2 * HOSTILE.length + 4;
    const kept = keptBy(doc);
    expect(kept).toBeGreaterThan(0);
    expect(doc.steps.filter((s) => s.target !== null).every((s) => (s as { replaces?: string }).replaces === 'older')).toBe(true);
    expect(doc.summary).toEqual({ pull: 1, push: pushes, trash: 0, deferred: 0, conflicts: 0, deletions: 0, kept });

    // The text view: machines, one table row per step (a newline in a name cannot break a row), summary last.
    const lines = text.stdout.replace(/\n$/, '').split('\n');
    expect(lines.at(-2)).toBe(`Plan: 1 to pull, ${pushes} to push, 0 deferred, 0 conflicts, 0 deletions held${keptTail(kept)}.`);
    expect(lines.at(-1)).toBe(`Not in sync: ${pushes + 1} copies to make.`);
    expect(text.stdout).toMatch(/^ {2}m1 +online +linux$/m);
    expect(text.stdout).toMatch(/^ {2}dead +outofuse \(left out\)$/m);
    expect(text.stdout).toMatch(/^ {2}here \(self\) +online +linux$/m);
    expect(lines.filter((l) => /^│ pull +│/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^│ push +│/.test(l))).toHaveLength(pushes);
    for (const name of HOSTILE) {
      const rows = lines.filter((l) => l.includes(`│ docs/${SHOWN(name)} `));
      expect(rows.map((l) => l.match(/│ (here → m\d) /)?.[1])).toEqual(['here → m1', 'here → m3']);
    }
    // Nothing but newlines as control characters: names are escaped for the terminal.
    // eslint-disable-next-line no-control-regex
    expect(text.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);

    // One ssh session per ssh machine in use per plan (two plans), plus the probe of its root on
    // first contact (once: it is kept in state.json), never one to the outofuse machine; no rsync.
    expect(await spy.sshHosts()).toEqual(['m1', 'm1', 'm1', 'm2', 'm2', 'm2', 'm3', 'm3', 'm3']);
    expect(await spy.transfers()).toEqual([]);

    // Nothing on any machine changed, and no injection ran anywhere.
    expect(await readAllTrees(box, ALL)).toEqual(before);
    expect(existsSync(PWNED)).toBe(false);
    expect(await findNamed('/tmp', /^blat-pwned-/, 1)).toEqual([]);
    expect(await findNamed(box.dir, /^pwned$/)).toEqual([]);
    expect(await findNamed(loginHome, /pwned/, 3)).toEqual([]);
  });

  it('with an ssh machine as self (--self m1): pulls to it, scans it here, and ssh goes only to the others', async () => {
    const before = await readAllTrees(box, ALL);
    await spy.reset();
    const r = await runBlat(['plan', '--json', '--self', 'm1'], { cwd: box.dir, env: spy.env });
    expectCleanStderr(r);
    const doc = parsePlanJson(r);
    expect(doc.self).toBe('m1');
    // m1 lacks everything: each path is pulled from the first holder of the winner in config order (m2).
    const pulled = [...files, ...INJECT_DIRS, 'docs/from-m2.txt'];
    expect(brief(doc.steps)).toEqual(
      brief([
        ...pulled.map((path) => ({ action: 'pull', path, from: 'm2', to: 'm1' })),
        ...files.map((path) => ({ action: 'push', path, from: 'm1', to: 'm3' })),
        { action: 'push', path: 'docs/from-m2.txt', from: 'm1', to: 'm3' },
        { action: 'push', path: 'docs/from-m2.txt', from: 'm1', to: 'here' },
      ]),
    );
    expectPullsFirst(doc.steps);
    expect(await spy.sshHosts()).toEqual(['m2', 'm3']);
    expect(await readAllTrees(box, ALL)).toEqual(before);
  });

  it('shows an offline machine with its reason and defers what it is owed; the outofuse one is not contacted', async () => {
    const before = await readAllTrees(box, ALL);
    await sshd.setOffline('m3', true);
    try {
      await spy.reset();
      const json = await runBlat(['plan', '--json'], { cwd: box.dir, env: spy.env });
      const text = await runBlat(['plan', '--full'], { cwd: box.dir, env: spy.env });
      expectCleanStderr(json);
      expectCleanStderr(text);
      const doc = parsePlanJson(json);

      expect(doc.machines).toEqual([
        { name: 'm1', status: 'online', os: 'linux', clockOffsetMs: expect.any(Number) },
        { name: 'm2', status: 'online', os: 'linux', clockOffsetMs: expect.any(Number) },
        { name: 'm3', status: 'offline', reason: 'refused' },
        { name: 'dead', status: 'outofuse' },
        { name: 'here', status: 'online', os: 'linux', clockOffsetMs: expect.any(Number) },
      ]);
      const owed = [...files, ...INJECT_DIRS, 'docs/from-m2.txt'];
      expect(brief(doc.steps)).toEqual(
        brief([
          { action: 'pull', path: 'docs/from-m2.txt', from: 'm2', to: 'here' },
          ...owed.map((path) => ({ action: 'push', path, from: 'here', to: 'm1' })),
        ]),
      );
      // Without a base, m3 is owed every path: those with steps and those the online machines agree on.
      const deferred = [...owed, 'docs', 'docs/same.txt'];
      expect(doc.deferred.map((d) => [d.path, d.machine, d.reason]).sort()).toEqual(deferred.map((p) => [p, 'm3', 'refused']).sort());
      // Each deferred entry names the version owed: the winner.
      for (const d of doc.deferred.filter((x) => x.source.type === 'file')) {
        expect(d.source).toEqual(await entryOf(d.path === 'docs/from-m2.txt' ? 'm2' : 'here', d.path));
      }
      expect(doc.summary).toEqual({ pull: 1, push: owed.length, trash: 0, deferred: deferred.length, conflicts: 0, deletions: 0, kept: keptBy(doc) });

      expect(text.stdout).toMatch(/^ {2}m3 +offline \(refused\)$/m);
      expect(text.stdout).toMatch(/^ {2}dead +outofuse \(left out\)$/m);
      expect(text.stdout).not.toMatch(/dead +offline/);
      expect(text.stdout).toContain(`Deferred (${deferred.length}) — owed to machines that cannot be served now:`);
      expect(text.stdout.replace(/\n$/, '').split('\n').slice(-2)).toEqual([
        `Plan: 1 to pull, ${owed.length} to push, ${deferred.length} deferred, 0 conflicts, 0 deletions held${keptTail(keptBy(doc))}.`,
        `Not in sync: ${owed.length + 1} copies to make, m3 unreachable (${deferred.length} paths owed).`,
      ]);
      // m3 was tried (and refused) once per plan; dead never.
      expect(await spy.sshHosts()).toEqual(['m1', 'm1', 'm2', 'm2', 'm3', 'm3']);
    } finally {
      await sshd.setOffline('m3', false);
    }
    expect(await readAllTrees(box, ALL)).toEqual(before);
  });

  it('--detailed-exitcode: 0 in sync, 2 with work, 1 on error', async () => {
    const cwd = box.root('here');
    const args = (...a: string[]) => ['-c', box.configFile, 'plan', ...a];

    const inSync = await runBlat(args('docs/same.txt', '--detailed-exitcode'), { cwd });
    expectCleanStderr(inSync);
    expect(inSync.stdout).toContain('Narrowed to: docs/same.txt');
    expect(inSync.stdout.replace(/\n$/, '').split('\n').at(-1)).toBe('No changes. Every machine is in sync (1 paths).');
    expect(inSync.code).toBe(0);

    const work = await runBlat(args('--detailed-exitcode'), { cwd });
    expectCleanStderr(work);
    expect(work.code).toBe(2);
    // Without the flag, work is still exit 0.
    expect((await runBlat(args(), { cwd })).code).toBe(0);
    // Narrowed to one hostile file: still work.
    const one = await runBlat(args('--detailed-exitcode', '--json', `docs/${INJECT}`), { cwd });
    expect(one.code).toBe(2);
    const doc = parsePlanJson(one);
    expect(doc.targets).toEqual([`docs/${INJECT}`]);
    expect(brief(doc.steps)).toEqual(brief(['m1', 'm3'].map((to) => ({ action: 'push', path: `docs/${INJECT}`, from: 'here', to }))));

    const error = await runBlat(args('--detailed-exitcode', '--self', 'nosuch'), { cwd });
    expectOneError(error, `blat: --self names "nosuch", which is not a machine in ${box.configFile} (machines: m1, m2, m3, dead, here)`);
  });

  it('finds blat.yaml in the nearest parent folder when none is named', async () => {
    // The sandbox's blat.yaml lies in box.dir, above here's root: run from inside the root.
    expect(existsSync(join(box.root('here'), 'blat.yaml'))).toBe(false);
    const r = await runBlat(['plan', '--self', 'here', '--json', 'docs'], { cwd: box.root('here'), env: spy.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parsePlanJson(r).targets).toEqual(['docs']);
  });

  it('bad input: one clear line, exit 1, no stack trace, no machine contacted', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'blat-noconfig-'));
    try {
      await spy.reset();
      const cwd = box.root('here');
      const plan = (...a: string[]) => runBlat(['-c', box.configFile, 'plan', ...a], { cwd, env: spy.env });

      // Missing config: ./blat.yaml, -c FILE, $BLAT_CONFIG.
      expectOneError(
        await runBlat(['plan'], { cwd: empty, env: spy.env }),
        `blat: blat.yaml: cannot read ${join(empty, 'blat.yaml')}: no such file (create one, or pass -c FILE or set $BLAT_CONFIG)`,
      );
      expectOneError(await runBlat(['-c', 'nope.yaml', 'plan'], { cwd: empty, env: spy.env }), /cannot read .*\/nope\.yaml: no such file/);
      expectOneError(await runBlat(['plan'], { cwd: empty, env: { ...spy.env, BLAT_CONFIG: join(empty, 'env.yaml') } }), /cannot read .*\/env\.yaml: no such file/);
      expectOneError(await runBlat(['-c', empty, 'plan'], { cwd: empty, env: spy.env }), `blat: blat.yaml: cannot read ${empty}: is a directory`);

      // Malformed YAML: the file, line and column of the syntax error.
      const broken = join(empty, 'broken.yaml');
      await writeFile(broken, 'version: 1\npaths: [docs\nmachines:\n  here: { transport: local, root: /tmp }\n');
      // (The unclosed "[" is found where the next key starts.)
      expectOneError(await runBlat(['-c', broken, 'plan'], { cwd: empty, env: spy.env }), new RegExp(`^blat: ${escapeRe(broken)}:3:1: syntax error: \\S`));

      // Schema and semantic errors: every one reported, `FILE:LINE:COL: path: message`.
      const bad = join(empty, 'bad.yaml');
      await writeFile(
        bad,
        [
          'version: 2',
          'pathz: [docs]',
          'paths:',
          '  - /abs',
          '  - docs',
          '  - docs/sub',
          'concurrency: 0',
          'machines:',
          '  m1:',
          '    host: "bad host"',
          '    root: relative/root',
          '  here:',
          '    transport: local',
          '    root: /tmp',
          '    hots: x',
          '  "-x":',
          '    host: x',
          '    root: /x',
          '',
        ].join('\n'),
      );
      const schema = await runBlat(['-c', bad, 'plan'], { cwd: empty, env: spy.env });
      expect(schema.stdout).toBe('');
      expect(schema.code).toBe(1);
      expect(schema.stderr).not.toMatch(/^\s+at /m);
      expect(schema.stderr.replace(/\n$/, '').split('\n')).toEqual([
        `blat: ${bad}:1:10: version: must be 1`,
        `blat: ${bad}:2:1: pathz: unknown key "pathz" (did you mean "paths"?)`,
        `blat: ${bad}:4:5: paths[0]: must be a relative path (relative to each machine's root)`,
        `blat: ${bad}:6:5: paths[2]: "docs/sub" lies inside paths[1] ("docs"); list only one of them`,
        `blat: ${bad}:7:14: concurrency: must be at least 1`,
        `blat: ${bad}:10:11: machines.m1.host: must be an ssh destination (user@host, host or an ssh-config alias): no spaces, not starting with "-"`,
        `blat: ${bad}:11:11: machines.m1.root: must be an absolute path starting with "/" (it is a path on that machine: "~" is not expanded)`,
        `blat: ${bad}:15:5: machines.here.hots: unknown key "hots" (did you mean "host"?)`,
        `blat: ${bad}:16:3: machines["-x"]: invalid machine name "-x": use letters, digits, ".", "_" and "-", starting with a letter or digit`,
      ]);

      // Self: unknown by flag or environment, or out of use.
      expectOneError(await plan('--self', 'nosuch'), `blat: --self names "nosuch", which is not a machine in ${box.configFile} (machines: m1, m2, m3, dead, here)`);
      expectOneError(
        await runBlat(['-c', box.configFile, 'plan'], { cwd, env: { ...spy.env, BLAT_SELF: 'ghost' } }),
        `blat: BLAT_SELF names "ghost", which is not a machine in ${box.configFile} (machines: m1, m2, m3, dead, here)`,
      );
      expectOneError(await plan('--self', 'dead'), /^blat: this machine, "dead", is declared "state: outofuse" in /);

      // Path arguments outside self's root, or not under `paths:`; a hostile one stays on one line.
      expectOneError(await plan('/etc'), `blat: /etc is outside self's root ${box.root('here')}`);
      expectOneError(await plan('../m1 root/docs'), `blat: ../m1 root/docs is outside self's root ${box.root('here')}`);
      expectOneError(await plan('notes'), `blat: notes is not under any entry of paths: in ${box.configFile}`);
      expectOneError(await plan('evil\nname'), new RegExp(`^blat: evil\\\\nname is not under any entry of paths: in ${escapeRe(box.configFile)}$`));
      expectOneError(await plan('--prefer', 'bogus'), `blat: --prefer "bogus": expected "newest" or a machine (m1, m2, m3, dead, here)`);

      expect(await spy.calls('ssh')).toEqual([]);
      expect(await spy.transfers()).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('one transport call per machine per plan', () => {
  let box: Sandbox;

  beforeAll(async () => {
    box = await makeSandboxWithDead(sshd, ['m1', 'm2', 'm3'], ['bulk']);
  });
  afterAll(async () => {
    await box?.cleanup();
  });

  it('runs one ssh per ssh machine for 1 file and for 500 files, and no rsync', async () => {
    await box.write('here', 'bulk/f0000', 'x', T);
    await spy.reset();
    const one = await runBlat(['plan', '--json'], { cwd: box.dir, env: spy.env });
    expectCleanStderr(one);
    const oneDoc = parsePlanJson(one);
    // bulk (dir) and bulk/f0000 pushed to each ssh machine.
    expect(oneDoc.summary.push).toBe(2 * 3);
    // The first contact also probes each root, once (kept in state.json); every later plan is one ssh per machine.
    const oneHosts = await spy.sshHosts();
    expect(oneHosts).toEqual(['m1', 'm1', 'm2', 'm2', 'm3', 'm3']);

    for (let i = 1; i < 500; i++) {
      const name = `bulk/f${String(i).padStart(4, '0')} ${i % 7 === 0 ? "it's" : ''}`;
      await box.write('here', name, `content ${i}`, T + i);
      if (i % 2 === 0) await box.write('m1', name, `content ${i}`, T + i);
      if (i % 3 === 0) await box.write('m2', name, `older ${i}`, T - i);
    }
    await spy.reset();
    const many = await runBlat(['plan', '--json'], { cwd: box.dir, env: spy.env });
    expectCleanStderr(many);
    const manyDoc = parsePlanJson(many);
    // 500 files and the folder: m1 lacks the odd ones, m2 and m3 lack or hold older copies of all.
    expect(manyDoc.summary).toEqual({ pull: 0, push: 250 + 500 + 500 + 2, trash: 0, deferred: 0, conflicts: 0, deletions: 0, kept: keptBy(manyDoc) });
    expect(await spy.sshHosts()).toEqual(['m1', 'm2', 'm3']);
    expect(await spy.transfers()).toEqual([]);
  });
});

describe('conflicts found through the base', () => {
  let box: Sandbox;
  const ONLINE = ['m1', 'm2', 'm3', 'here'];

  beforeAll(async () => {
    box = await makeSandbox({ sshd, ssh: ['m1', 'm2', 'm3'], local: ['here'], self: 'here', paths: ['docs'] });
    await box.write('here', 'docs/c.txt', 'base\n', T);
    await box.write('here', 'docs/d.txt', 'kept\n', T + 1);
  });
  afterAll(async () => {
    await box?.cleanup();
  });

  it('lists a file changed differently on two machines as a conflict with both versions; --prefer resolves it', async () => {
    const applied = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    for (const m of ['m1', 'm2', 'm3']) {
      expect(await box.read(m, 'docs/c.txt')).toBe('base\n');
      expect((await box.stat(m, 'docs/c.txt')).mtime).toBe(T);
    }
    expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir })).code).toBe(0);

    // After the sync: m1 and self change c.txt differently, m2 deletes d.txt.
    await box.write('m1', 'docs/c.txt', 'edited on m1\n', T + 200);
    await box.write('here', 'docs/c.txt', 'edited here\n', T + 100);
    await box.remove('m2', 'docs/d.txt');
    const before = await readAllTrees(box, ONLINE);
    const st = (m: string) => box.stat(m, 'docs/c.txt');

    const json = await runBlat(['plan', '--json', '--detailed-exitcode'], { cwd: box.dir });
    expect(json.stderr).toBe('');
    expect(json.code).toBe(2);
    const doc = parsePlanJson(json);
    expect(doc.steps).toEqual([]);
    expect(doc.conflicts).toEqual([
      {
        path: 'docs/c.txt',
        reason: 'changed on m1 and here',
        versions: [
          { machines: ['m1'], type: 'file', mtime: T + 200, size: 13, mode: (await st('m1')).mode, changed: true },
          { machines: ['m2', 'm3'], type: 'file', mtime: T, size: 5, mode: (await st('m2')).mode, changed: false },
          { machines: ['here'], type: 'file', mtime: T + 100, size: 12, mode: (await st('here')).mode, changed: true },
        ],
      },
    ]);
    expect(doc.deletions).toEqual([{ path: 'docs/d.txt', deletedOn: ['m2'], heldOn: ['m1', 'm3', 'here'], propagated: false }]);
    expect(doc.summary).toEqual({ pull: 0, push: 0, trash: 0, deferred: 0, conflicts: 1, deletions: 1, kept: 0 });

    const text = await runBlat(['plan', '--detailed-exitcode'], { cwd: box.dir, env: { COLUMNS: '200' } });
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('Conflicts (1) — changed differently on several machines; nothing is copied:');
    expect(text.stdout).toMatch(/│ docs\/c\.txt +│ changed on m1 and here +│ m1 +│ 2023-11-14T22:16:40Z +│ 13 B +│ changed +│/);
    expect(text.stdout).toMatch(/│ +│ +│ m2, m3 +│ 2023-11-14T22:13:20Z +│ 5 B +│ unchanged +│/);
    expect(text.stdout).toMatch(/│ +│ +│ here +│ 2023-11-14T22:15:00Z +│ 12 B +│ changed +│/);
    expect(text.stdout).toMatch(/│ docs\/d\.txt +│ m2 +│ m1, m3, here +│ held +│/);
    expect(text.stdout.replace(/\n$/, '').split('\n').slice(-2)).toEqual(['Plan: 0 to pull, 0 to push, 0 deferred, 1 conflicts, 1 deletions held.', 'Not in sync: 1 conflict, 1 held deletion.']);

    const newest = parsePlanJson(await runBlat(['plan', '--json', '--prefer', 'newest'], { cwd: box.dir }));
    expect(newest.conflicts).toEqual([]);
    expect(newest.steps.map(({ action, path, from, to }) => ({ action, path, from, to }))).toEqual([
      { action: 'pull', path: 'docs/c.txt', from: 'm1', to: 'here' },
      { action: 'push', path: 'docs/c.txt', from: 'here', to: 'm2' },
      { action: 'push', path: 'docs/c.txt', from: 'here', to: 'm3' },
    ]);
    expect(newest.steps[0].source).toMatchObject({ mtime: T + 200, size: 13 });
    expect(newest.steps[0].target).toMatchObject({ mtime: T + 100, size: 12 });

    const mine = parsePlanJson(await runBlat(['plan', '--json', '--prefer', 'here'], { cwd: box.dir }));
    expect(mine.conflicts).toEqual([]);
    expect(brief(mine.steps)).toEqual(brief(['m1', 'm2', 'm3'].map((to) => ({ action: 'push', path: 'docs/c.txt', from: 'here', to }))));
    // What each step replaces is kept: m1's edit (the conflict's loser) is named as such.
    expect(newest.steps.map((s) => (s as { replaces?: string }).replaces)).toEqual(['changed', 'older', 'older']);
    expect(mine.steps.map((s) => `${s.to} ${(s as { replaces?: string }).replaces}`).sort()).toEqual(['m1 changed', 'm2 older', 'm3 older']);
    const mineText = await runBlat(['plan', '--prefer', 'here'], { cwd: box.dir, env: { COLUMNS: '200' } });
    expect(mineText.stdout).toMatch(/│ push +│ docs\/c\.txt +│ here → m1 +│ changed on here; replaces m1's version, changed since the last sync +│/);
    expect(mineText.stdout).toMatch(/│ push +│ docs\/c\.txt +│ here → m2 +│ older on m2; replaces an older copy +│/);
    expect(mineText.stdout.replace(/\n$/, '').split('\n').at(-2)).toBe('Plan: 0 to pull, 3 to push, 0 deferred, 0 conflicts, 1 deletions held; 3 versions will be kept in trash.');

    expect(await readAllTrees(box, ONLINE)).toEqual(before);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('seen lines: machines whose listing is unchanged since a plan found them alike answer "same"', () => {
  let box: Sandbox;
  const recordFile = () => join(box.dir, '.blat', 'seen.json');
  const listingFile = () => join(box.dir, '.blat', 'seen.listing');
  /** The seen lines each machine holds (machine → lines), read from their roots. */
  const seenLines = async (): Promise<Record<string, string[]>> => {
    const out: Record<string, string[]> = {};
    for (const name of ['here', 'm1', 'm2', 'm3']) {
      const sets = join(box.root(name), '.blat', 'sets');
      const lines: string[] = [];
      for (const set of existsSync(sets) ? await readdir(sets) : []) {
        for (const f of await readdir(join(sets, set))) if (f.startsWith('seen-')) lines.push(await readFile(join(sets, set, f), 'utf8'));
      }
      out[name] = lines;
    }
    return out;
  };
  const plan = async (): Promise<PlanDoc> => {
    const r = await runBlat(['plan', '--json'], { cwd: box.dir, env: spy.env });
    expectCleanStderr(r);
    return parsePlanJson(r);
  };
  const converge = async (): Promise<void> => {
    const r = await runBlat(['apply', '--auto-approve'], { cwd: box.dir });
    expect(r.code).toBe(0);
  };

  beforeAll(async () => {
    box = await makeSandboxWithDead(sshd, ['m1', 'm2', 'm3']);
    await box.mkdir('here', 'docs', T);
    for (const [i, name] of HOSTILE.entries()) await box.write('here', `docs/${name}`, `memo ${i}\n`, T + i);
    await box.symlink('here', 'docs/link', '../elsewhere', T);
    await converge();
  });
  afterAll(async () => {
    await box?.cleanup();
  });

  it('skips the listings when nothing changed, and sees every kind of change when something did', async () => {
    const first = await plan();
    expect(first.steps).toEqual([]);
    const inSync = first.inSync;
    expect(inSync).toBeGreaterThan(HOSTILE.length);
    expect(existsSync(recordFile())).toBe(true);
    // Every machine holds one seen line, all under one token, each with its own listing's digest.
    const lines = await seenLines();
    const parsed = Object.values(lines).map((l) => (l.length === 1 ? parseSeenLine(l[0]) : undefined));
    expect(parsed.every((p) => p !== undefined && p.token === parsed[0]!.token && p.paths === inSync)).toBe(true);

    // Every machine unchanged: in sync, one ssh each, and the listing beside the memo is not even read
    // (flip one of its bytes: a hit does not notice).
    const listing = await readFile(listingFile());
    listing[10] ^= 1;
    await writeFile(listingFile(), listing);
    await spy.reset();
    const hit = await plan();
    expect(hit).toMatchObject({ steps: [], conflicts: [], deletions: [], deferred: [], inSync });
    expect(await spy.sshHosts()).toEqual(['m1', 'm2', 'm3']);

    // m2 changed: the others answered "same"; their entries would come from the listing, which is
    // damaged, so they are asked again (a second ssh to m1 and m3): proof that they did answer "same".
    await box.write('m2', 'docs/a b', 'changed on m2\n', T + 5000);
    await spy.reset();
    const changed = await plan();
    expect(brief(changed.steps)).toEqual(
      brief([
        { action: 'pull', path: 'docs/a b', from: 'm2', to: 'here' },
        { action: 'push', path: 'docs/a b', from: 'here', to: 'm1' },
        { action: 'push', path: 'docs/a b', from: 'here', to: 'm3' },
      ]),
    );
    expect(await spy.sshHosts()).toEqual(['m1', 'm1', 'm2', 'm3', 'm3']);

    // Converged again: the apply forgot the controller's copy, and the seen lines of the machines it
    // wrote (m2, only read from, keeps its own, whose digest is no longer its listing's).
    await converge();
    expect(existsSync(recordFile())).toBe(false);
    const after = await seenLines();
    expect([after.here, after.m1, after.m3]).toEqual([[], [], []]);
    expect(after.m2).toHaveLength(1);
    // The next plan finds them alike and writes new lines, with the copy of the listing intact: a
    // change then costs no second ssh, and every other machine's entries come from that listing.
    expect((await plan()).steps).toEqual([]);
    expect(Object.values(await seenLines()).map((l) => l.length)).toEqual([1, 1, 1, 1]);
    await box.remove('m3', `docs/${HOSTILE[3]}`);
    await box.write('m1', 'docs/new on m1', 'new\n', T + 6000);
    await spy.reset();
    const mixed = await plan();
    expect(brief(mixed.steps)).toEqual(
      brief([
        { action: 'pull', path: 'docs/new on m1', from: 'm1', to: 'here' },
        { action: 'push', path: 'docs/new on m1', from: 'here', to: 'm2' },
        { action: 'push', path: 'docs/new on m1', from: 'here', to: 'm3' },
      ]),
    );
    expect(mixed.deletions).toEqual([{ path: `docs/${HOSTILE[3]}`, deletedOn: ['m3'], heldOn: ['m1', 'm2', 'here'], propagated: false }]);
    expect(await spy.sshHosts()).toEqual(['m1', 'm2', 'm3']);
    // m1's and m3's listings were compared with the copy (their seen lines name its token), and
    // only what differs was planned: the same plan as one that reads every listing.
    const verbose = await runBlat(['plan', '--verbose', '--json'], { cwd: box.dir });
    expect(verbose.stderr).toMatch(/compared with the listing their seen lines stand for: \d+ paths alike everywhere, \d+ planned one by one/);
    await rm(recordFile());
    const whole = await runBlat(['plan', '--verbose', '--json'], { cwd: box.dir });
    expect(whole.stderr).not.toMatch(/compared with/);
    const decided = (r: ProcessResult) => {
      const { steps, deferred, conflicts, deletions, warnings, inSync, summary } = JSON.parse(r.stdout) as Record<string, unknown>;
      return JSON.stringify({ steps, deferred, conflicts, deletions, warnings, inSync, summary });
    };
    expect(decided(verbose)).toBe(decided(whole));
    expect(existsSync(PWNED)).toBe(false);
  });

  it('never takes the listing for the base where the base differs from it: the same plan as a whole read', async () => {
    const other = await makeSandboxWithDead(sshd, ['m1', 'm2', 'm3']);
    try {
      await other.write('here', 'docs/x.txt', 'base\n', T);
      await other.write('here', 'docs/y.txt', 'y\n', T);
      expect((await runBlat(['apply', '--auto-approve'], { cwd: other.dir })).code).toBe(0);
      // The same new version put on every machine by hand: alike, but not what the base holds.
      for (const m of ['here', 'm1', 'm2', 'm3']) await other.write(m, 'docs/x.txt', 'by hand\n', T + 100);
      expect((await runBlat(['plan', '--detailed-exitcode'], { cwd: other.dir })).code).toBe(0);
      await other.write('m1', 'docs/x.txt', 'edited on m1\n', T + 200);
      const planned = await runBlat(['plan', '--verbose', '--json'], { cwd: other.dir });
      expect(planned.stderr).not.toMatch(/compared with/);
      await rm(join(other.dir, '.blat', 'seen.json'));
      const whole = await runBlat(['plan', '--json'], { cwd: other.dir });
      const decided = (r: ProcessResult) => {
        const { steps, deferred, conflicts, deletions, warnings, inSync, summary } = JSON.parse(r.stdout) as Record<string, unknown>;
        return JSON.stringify({ steps, deferred, conflicts, deletions, warnings, inSync, summary });
      };
      expect(decided(planned)).toBe(decided(whole));
    } finally {
      await other.cleanup();
    }
  });
});
