// End to end: `blat plan --out FILE`, then `blat show FILE [--json]`, and what show does with a bad file.
import { constants } from 'node:buffer';
import { chmod, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, runBlat } from '../helpers/cli.js';
import type { Sandbox } from '../helpers/machines.js';
import { shareSshd, type SshdHandle } from '../helpers/sshd.js';
import { readAllTrees } from './observe.js';
import { makeToolSpy, type ToolSpy } from './toolSpy.js';
import { expectOneError, makeSandboxWithDead } from './support.js';

const T = 1_700_000_000;
const HOSTILE = ['a b', "it's", '$(touch pwned)', 'new\nline', '-rf'];
const ALL = ['m1', 'm2', 'm3', 'dead', 'here'];

const validatePlan = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(await readFile(join(REPO_DIR, 'schemas', 'plan.schema.json'), 'utf8')) as object,
);


let sshd: SshdHandle;
let box: Sandbox;
let spy: ToolSpy;

beforeAll(async () => {
  sshd = await shareSshd(['m1', 'm2', 'm3']);
  spy = await makeToolSpy();
  box = await makeSandboxWithDead(sshd, ['m1', 'm2', 'm3']);
  for (const m of ALL) await box.mkdir(m, 'docs', T);
  for (const [i, name] of HOSTILE.entries()) {
    await box.write('here', `docs/${name}`, `v${i}\n`, T + i);
    await box.write('m2', `docs/${name}`, `v${i}\n`, T + i);
  }
  // Newer on m1: a pull, then pushes.
  await box.write('m1', 'docs/pull me.txt', 'newest\n', T + 50);
  await box.write('here', 'docs/pull me.txt', 'old\n', T);
  // Equal mtimes, different sizes: a conflict without any base.
  await box.write('here', 'docs/tie.txt', 'short\n', T + 9);
  await box.write('m2', 'docs/tie.txt', 'a longer one\n', T + 9);
  // m3 is offline while the plan is made: deferred entries, a reason in the header.
  await sshd.setOffline('m3', true);
});

afterAll(async () => {
  await sshd?.setOffline('m3', false);
  await box?.cleanup();
  await spy?.cleanup();
  await sshd?.stop();
});

describe('blat plan --out FILE, then blat show FILE', () => {
  it('prints the same plan as plan did, as text and as JSON, without contacting any machine', async () => {
    const before = await readAllTrees(box, ALL);
    const planned = await runBlat(['plan', '--out', 'saved plan.json'], { cwd: box.dir });
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    const saved = await readFile(join(box.dir, 'saved plan.json'), 'utf8');
    const doc = JSON.parse(saved) as { steps: unknown[]; deferred: unknown[]; conflicts: { path: string }[]; machines: unknown[] };
    expect(validatePlan.errors ?? []).toEqual([]);
    expect(validatePlan(doc)).toBe(true);
    // The saved plan has a bit of everything.
    expect(doc.steps.length).toBeGreaterThan(0);
    expect(doc.deferred.length).toBeGreaterThan(0);
    expect(doc.conflicts.map((c) => c.path)).toEqual(['docs/tie.txt']);
    expect(doc.machines).toContainEqual({ name: 'm3', status: 'offline', reason: 'refused' });
    expect(doc.machines).toContainEqual({ name: 'dead', status: 'outofuse' });
    expect(JSON.stringify(doc)).toContain(JSON.stringify('docs/new\nline'));

    const footer = '\nSaved this plan to saved plan.json; apply it with: blat apply saved plan.json\n';
    expect(planned.stdout.endsWith(footer)).toBe(true);
    const planText = planned.stdout.slice(0, -footer.length);
    expect(planText).toMatch(/\nPlan: 1 to pull, \d+ to push, \d+ deferred, 1 conflicts, 0 deletions held(; \d+ versions will be kept in trash)?\.\nNot in sync: \d+ copies to make, 1 conflict, m3 unreachable \(\d+ paths owed\)\.\n$/);

    await spy.reset();
    const shown = await runBlat(['show', 'saved plan.json'], { cwd: box.dir, env: spy.env });
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(planText);

    const shownJson = await runBlat(['show', join(box.dir, 'saved plan.json'), '--json'], { cwd: '/', env: spy.env });
    expect(shownJson.stderr).toBe('');
    expect(shownJson.code).toBe(0);
    expect(JSON.parse(shownJson.stdout)).toEqual(doc);
    expect(shownJson.stdout).toBe(saved);

    // show reads a file: no machine is contacted, nothing changes.
    expect(await spy.calls('ssh')).toEqual([]);
    expect(await spy.transfers()).toEqual([]);
    expect(await readAllTrees(box, ALL)).toEqual(before);
  });

  it('--json --out writes the same document it prints', async () => {
    const r = await runBlat(['plan', '--json', '--out', 'p.json'], { cwd: box.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await readFile(join(box.dir, 'p.json'), 'utf8'));
  });
});

describe('blat show with a file that is not a plan', () => {
  const cases: [string, string | null, RegExp][] = [
    ['missing.json', null, /^blat: missing\.json: cannot read plan file \(ENOENT\)$/],
    ['garbage.json', 'this is not json {', /^blat: garbage\.json: not a blat plan: invalid JSON \(.+\)$/],
    ['empty.json', '', /^blat: empty\.json: not a blat plan: invalid JSON \(.+\)$/],
    ['array.json', '[1, 2, 3]', /^blat: array\.json: .+/],
    ['object.json', '{"hello": "world"}', /^blat: object\.json: .+/],
    ['future.json', '{"formatVersion": 99}', /^blat: future\.json: plan format version 99 is not supported by this blat \(expects 1\)$/],
  ];

  it.each(cases)('%s: exit 1, one line', async (name, content, line) => {
    if (content !== null) await writeFile(join(box.dir, name), content);
    await spy.reset();
    expectOneError(await runBlat(['show', name], { cwd: box.dir, env: spy.env }), line);
    expectOneError(await runBlat(['show', name, '--json'], { cwd: box.dir, env: spy.env }), line);
    expect(await spy.calls('ssh')).toEqual([]);
  });

  it('a directory, an unreadable file, a truncated plan, a tampered plan, one too long to read, a hostile file name: exit 1, one line', async () => {
    await mkdir(join(box.dir, 'a dir'));
    expectOneError(await runBlat(['show', 'a dir'], { cwd: box.dir }), /^blat: a dir: cannot read plan file \(EISDIR\)$/);

    const planned = await runBlat(['plan', '--out', 'good.json'], { cwd: box.dir });
    expect(planned.code).toBe(0);
    const good = await readFile(join(box.dir, 'good.json'), 'utf8');

    await writeFile(join(box.dir, 'cut.json'), good.slice(0, Math.floor(good.length / 2)));
    expectOneError(await runBlat(['show', 'cut.json'], { cwd: box.dir }), /^blat: cut\.json: not a blat plan: invalid JSON/);

    // Valid JSON, but the summary no longer agrees with the steps.
    const tampered = JSON.parse(good) as { summary: { push: number } };
    tampered.summary.push += 1;
    await writeFile(join(box.dir, 'tampered.json'), JSON.stringify(tampered));
    expectOneError(await runBlat(['show', 'tampered.json'], { cwd: box.dir }), /^blat: tampered\.json: .*summary/);

    // A step naming a machine the plan does not list.
    const stranger = JSON.parse(good) as { steps: { to: string }[] };
    stranger.steps[0].to = 'stranger';
    await writeFile(join(box.dir, 'stranger.json'), JSON.stringify(stranger));
    expectOneError(await runBlat(['show', 'stranger.json'], { cwd: box.dir }), /^blat: stranger\.json: .*"stranger"/);

    // Longer than one string can be (a sparse file): refused unread, its size said.
    await writeFile(join(box.dir, 'huge.json'), good.slice(0, 200));
    await truncate(join(box.dir, 'huge.json'), constants.MAX_STRING_LENGTH + 1);
    expectOneError(await runBlat(['show', 'huge.json'], { cwd: box.dir }), /^blat: huge\.json: cannot read plan file \(512\.0 MiB: more than the 512\.0 MiB blat can read\)$/);
    expectOneError(await runBlat(['apply', 'huge.json'], { cwd: box.dir }), /^blat: huge\.json: cannot read plan file/);

    // The file name is printed escaped, on one line.
    await writeFile(join(box.dir, 'evil\nname.json'), 'nope');
    expectOneError(await runBlat(['show', 'evil\nname.json'], { cwd: box.dir }), /^blat: evil\\nname\.json: not a blat plan/);

    // Unreadable: only meaningful when not root (root reads anything).
    if (process.getuid?.() !== 0) {
      await writeFile(join(box.dir, 'locked.json'), good);
      await chmod(join(box.dir, 'locked.json'), 0o000);
      expectOneError(await runBlat(['show', 'locked.json'], { cwd: box.dir }), /^blat: locked\.json: cannot read plan file \(EACCES\)$/);
    }
  });
});
