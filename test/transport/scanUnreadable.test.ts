// The scan script and folders it may not read, run for real as an unprivileged user (the tests'
// login user when they run as root), in both of its forms: GNU find and find | perl.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFindComplaints } from '../../src/snapshot/findComplaints.js';
import { ScanParser } from '../../src/snapshot/parseScan.js';
import { buildScanScript } from '../../src/transport/scanScript.js';
import { readLoginUser } from '../helpers/provided.js';
import { plantSeen } from '../helpers/seen.js';

let root: string;
const user = readLoginUser();

/** Runs a script as the login user: its output parsed, and its stderr. */
function runAsUser(script: string): { out: ReturnType<ScanParser['finish']>; stderr: string } {
  const [file, args] = process.getuid?.() === 0 ? ['su', [user.name, '-s', '/bin/sh', '-c', '/bin/sh -s']] : ['/bin/sh', ['-s']];
  const r = spawnSync(file, args, { input: script });
  if (r.status !== 0) throw new Error(`scan failed (${r.status}): ${r.stderr.toString()}`);
  const parser = new ScanParser({ base: script.includes('blat-seen-1'), seen: script.includes('blat-seen-1') });
  parser.push(r.stdout);
  return { out: parser.finish(), stderr: r.stderr.toString() };
}

/** Makes a tree owned by the login user. */
function own(path: string): void {
  chownSync(path, user.uid, user.gid);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'blat-unreadable-'));
  own(root);
  for (const d of ['docs', 'docs/locked', 'docs/locked/deep', 'docs/noexec', "docs/it's\nlocked", 'docs/ok']) {
    mkdirSync(join(root, d));
    own(join(root, d));
  }
  for (const f of ['docs/locked/deep/a', 'docs/noexec/b', 'docs/ok/c', "docs/it's\nlocked/d"]) {
    writeFileSync(join(root, f), 'x');
    own(join(root, f));
  }
  chmodSync(join(root, 'docs/locked'), 0o000);
  chmodSync(join(root, "docs/it's\nlocked"), 0o000);
  chmodSync(join(root, 'docs/noexec'), 0o600);
});

afterEach(() => {
  for (const d of ['docs/locked', "docs/it's\nlocked", 'docs/noexec', 'docs']) chmodSync(join(root, d), 0o755);
  rmSync(root, { recursive: true, force: true });
});

describe.each([
  ['linux (GNU find -printf)', 'linux' as const],
  ['darwin form (find -print0 | perl)', 'darwin' as const],
])('an unreadable folder, %s', (_label, os) => {
  it('is reported as data (type "u"), nothing under it listed, the rest as usual', () => {
    const { out, stderr } = runAsUser(buildScanScript({ root, paths: ['docs'], mode: 'tree', exclude: [], os }));
    expect(out.complete).toBe(true);
    expect([...out.unreadable].sort()).toEqual(["docs/it's\nlocked", 'docs/locked', 'docs/noexec']);
    const names = [...out.entries.keys()].sort();
    expect(names).toEqual(['docs', 'docs/ok', 'docs/ok/c']);
    // Whatever find still said on stderr names only those folders (or their contents).
    const { unreadable, other } = readFindComplaints(stderr.split('\n').filter(Boolean), ['docs']);
    expect(other).toEqual([]);
    for (const u of unreadable) expect(out.unreadable.some((p) => u.path === p || u.path.startsWith(`${p}/`))).toBe(true);
  });

  it('a start point under a folder it may not enter is a complaint on stderr that names it', () => {
    chmodSync(join(root, 'docs'), 0o000);
    const { out, stderr } = runAsUser(buildScanScript({ root, paths: ['docs/ok', 'gone'], mode: 'tree', exclude: [], os }));
    expect(out.complete).toBe(true);
    expect(out.entries.size).toBe(0);
    const { unreadable } = readFindComplaints(stderr.split('\n').filter(Boolean), ['docs/ok', 'gone']);
    expect(unreadable.map((u) => u.path)).toEqual(['docs/ok']);
  });

  it('the in-sync check does not answer "same" when find complained (the listing lacks what it could not see)', () => {
    chmodSync(join(root, 'docs'), 0o000);
    const empty = runAsUser(buildScanScript({ root, paths: ['gone'], mode: 'tree', exclude: [], os })).out;
    expect(empty.entries.size).toBe(0);
    const again = runAsUser(buildScanScript({ root, paths: ['docs/ok', 'gone'], mode: 'tree', exclude: [], os, ...plantSeen(root, ['docs/ok', 'gone'], empty.listingDigest) })).out;
    expect(again.unchanged).toBe(false);
    // Only a missing start point: "same" as before.
    const hit = runAsUser(buildScanScript({ root, paths: ['gone'], mode: 'tree', exclude: [], os, ...plantSeen(root, ['gone'], empty.listingDigest) })).out;
    expect(hit.unchanged).toBe(true);
  });
});
