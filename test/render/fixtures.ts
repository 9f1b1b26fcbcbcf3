// Hand-built plans for the renderer tests (object literals; no planner involved).
import type { Entry, Plan } from '../../src/types.js';

export const DIGEST_A = 'a'.repeat(64);
export const DIGEST_B = '0123456789abcdef'.repeat(4);
/** 2024-05-01T12:00:00.000Z */
export const NOW_MS = Date.UTC(2024, 4, 1, 12, 0, 0);

export function file(mtime: number, size: number, mode = 0o644): Entry {
  return { type: 'file', mtime, size, mode };
}

export const OLD = file(1_714_500_000.25, 10);
export const NEW = file(1_714_560_000.123456, 2048);

/** A plan with every kind of item: pull, push, trash, deferred, conflicts (incl. absent), deletions, symlink, dir. */
export function fullPlan(): Plan {
  return {
    formatVersion: 1,
    self: 'a',
    configDigest: DIGEST_A,
    snapshotDigest: DIGEST_B,
    createdAtMs: NOW_MS,
    targets: ['docs'],
    machines: [
      { name: 'a', status: 'online', os: 'linux', clockOffsetMs: 0 },
      { name: 'b', status: 'online', os: 'darwin', clockOffsetMs: 3200 },
      { name: 'c', status: 'offline', reason: 'timeout' },
      { name: 'd', status: 'outofuse' },
      { name: 'e', status: 'online', os: 'linux', clockOffsetMs: -1500 },
    ],
    steps: [
      { action: 'pull', path: 'docs/report.txt', from: 'b', to: 'a', source: NEW, target: OLD, replaces: 'changed' },
      { action: 'push', path: 'docs/report.txt', from: 'a', to: 'b', source: NEW, target: OLD, replaces: 'older' },
      { action: 'push', path: 'docs/new.txt', from: 'a', to: 'b', source: NEW, target: null },
      { action: 'push', path: 'docs/link', from: 'a', to: 'b', source: { type: 'symlink', mtime: 1_714_000_000, size: 7, mode: 0o777, target: '../x/y' }, target: null },
      { action: 'push', path: 'docs/sub', from: 'a', to: 'b', source: { type: 'dir', mtime: 1_714_000_000, size: 0, mode: 0o755 }, target: null },
      { action: 'trash', path: 'old/gone.txt', from: 'a', to: 'b', source: null, target: OLD, replaces: 'older' },
    ],
    deferred: [{ path: 'docs/report.txt', machine: 'c', reason: 'offline (timeout)', source: NEW }],
    conflicts: [
      {
        path: 'notes/todo.md',
        reason: 'changed on a and b',
        versions: [
          { machines: ['a'], entry: file(1_714_550_000.5, 100), changed: true },
          { machines: ['b'], entry: file(1_714_551_000, 120), changed: true },
          { machines: ['e'], entry: file(1_714_540_000, 90), changed: false },
        ],
      },
      {
        path: 'notes/plan.md',
        reason: 'deleted on b, changed on a',
        versions: [
          { machines: ['a'], entry: file(1_714_552_000, 5), changed: true },
          { machines: ['b'], entry: null, changed: true },
        ],
      },
    ],
    deletions: [
      { path: 'old/gone.txt', deletedOn: ['a'], heldOn: ['b'], propagated: true },
      { path: 'old/kept.txt', deletedOn: ['b'], heldOn: ['a'], propagated: false },
    ],
    inSync: 42,
    warnings: [{ kind: 'future', path: 'notes/ahead.md', machine: 'b', mtime: 1_914_551_000.25 }],
  };
}

/** An empty plan: nothing to do, 7 paths alike. */
export function emptyPlan(): Plan {
  return {
    formatVersion: 1,
    self: 'a',
    configDigest: DIGEST_A,
    snapshotDigest: DIGEST_B,
    createdAtMs: NOW_MS,
    targets: [],
    machines: [
      { name: 'a', status: 'online', os: 'linux' },
      { name: 'b', status: 'online', os: 'linux', clockOffsetMs: -200 },
    ],
    steps: [],
    deferred: [],
    conflicts: [],
    deletions: [],
    inSync: 7,
    warnings: [],
  };
}

/** Hostile file names a renderer must never print raw. */
export const HOSTILE = ['a\nb', '$(rm -rf ~)', '\u001b[2J', '-rf', `it's "quoted"`, 'r\u202eevil.txt', 'tab\there', 'cr\rx', 'bell\u0007x', 'c1\u009bx'];

/** A plan whose every printed string (paths, machine names, reasons, link targets) is hostile. */
export function hostilePlan(): Plan {
  const bad = 'x\u001b[31m\ny\u0000';
  const base = emptyPlan();
  return {
    ...base,
    self: 'a',
    targets: ['t\u001b]0;pwned\u0007'],
    machines: [
      { name: 'a', status: 'online' },
      { name: `m${bad}`, status: 'online' },
      { name: 'off', status: 'offline', reason: `refused${bad}` },
    ],
    steps: HOSTILE.map((name) => ({
      action: 'push' as const,
      path: `dir/${name}`,
      from: 'a',
      to: `m${bad}`,
      source: { type: 'symlink' as const, mtime: 1_714_000_000, size: 3, mode: 0o777, target: `t${bad}` },
      target: null,
    })),
    deferred: HOSTILE.map((name) => ({ path: name, machine: 'off', reason: `refused${bad}`, source: NEW })),
    conflicts: HOSTILE.map((name) => ({
      path: `c/${name}`,
      reason: `because${bad}`,
      versions: [
        { machines: ['a'], entry: NEW, changed: true },
        { machines: [`m${bad}`], entry: { type: 'symlink' as const, mtime: 1, size: 1, mode: 0o777, target: bad }, changed: true },
      ],
    })),
    deletions: HOSTILE.map((name) => ({ path: `d/${name}`, deletedOn: ['a'], heldOn: [`m${bad}`], propagated: false })),
    warnings: HOSTILE.map((name) => ({ kind: 'unreadable' as const, machine: `m${bad}`, path: `u/${name}`, reason: `because${bad}` })),
  };
}

/** A plan with `n` pushes spread over two folders, to b and c. */
export function bigPlan(n: number): Plan {
  const base = emptyPlan();
  const steps = [];
  for (let i = 0; i < n; i++) {
    const folder = i % 3 === 0 ? 'docs/b' : 'docs/a';
    steps.push({ action: 'push' as const, path: `${folder}/f${i}.txt`, from: 'a', to: i % 2 === 0 ? 'b' : 'c', source: NEW, target: null });
  }
  return {
    ...base,
    machines: [...base.machines, { name: 'c', status: 'online' as const }],
    steps,
  };
}
