// Peak memory of the planner alone: builds a synthetic snapshot of F files × M machines in memory
// (Maps of frozen Entry objects, as src/types.ts describes and src/snapshot/parseScan.ts makes them),
// runs buildPlan from dist/, and prints one JSON line with process.resourceUsage().maxRSS.
//
//   node bench/planner-mem.mjs [--files 1000000] [--machines 3] [--scenario same|same+base|changed|first]
//
// Scenarios: same = identical trees, no base (the "1M files × 3 machines");
// same+base = identical trees and a base for every machine (steady state), built as blat reads
//   its copy of the machines' bases from base.json (state/layeredBase.ts: the entries every machine
//   holds alike in one map they share);
// changed = as same+base with 1% of the files rewritten on the first machine (self);
// first = only self holds the tree, no base (a first sync: 2 pushes per entry).
import { performance } from 'node:perf_hooks';
import { buildPlan } from '../dist/plan/buildPlan.js';
import { LayeredBaseBuilder } from '../dist/state/layeredBase.js';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
}
const files = Number(arg('files', '1000000'));
const machineCount = Number(arg('machines', '3'));
const scenario = arg('scenario', 'same');
if (!['same', 'same+base', 'changed', 'first'].includes(scenario)) throw new Error(`unknown --scenario ${scenario}`);

const PER = 100;
const names = Array.from({ length: machineCount }, (_, k) => `m${k + 1}`);

/** The tree's entries, with fresh path strings and Entry objects (as one machine's scan parser makes them). */
function buildEntries(changedOnThisMachine) {
  const map = new Map();
  // Like parseScan: the raw "./path" field, then slice(2).
  const put = (rel, entry) => map.set(`./${rel}`.slice(2), Object.freeze(entry));
  const leaves = Math.ceil(files / PER);
  put('data', { type: 'dir', mtime: 1_600_000_000, size: 0, mode: 0o755 });
  for (let p = 0; p * PER < leaves; p++) {
    put(`data/p${p}`, { type: 'dir', mtime: 1_600_000_000 + p, size: 0, mode: 0o755 });
    for (let q = 0; q < PER && p * PER + q < leaves; q++) put(`data/p${p}/q${q}`, { type: 'dir', mtime: 1_600_000_000 + q, size: 0, mode: 0o755 });
  }
  for (let i = 0; i < files; i++) {
    const leaf = Math.floor(i / PER);
    const changed = changedOnThisMachine && i % 100 === 0;
    put(`data/p${Math.floor(leaf / PER)}/q${leaf % PER}/f${i}.dat`, {
      type: 'file',
      mtime: changed ? 1_700_000_000.25 : 1_600_000_000 + i + 0.123456,
      size: changed ? 2048 : 1024 + (i % 7168),
      mode: 0o644,
    });
  }
  return map;
}

const t0 = performance.now();
const entries = new Map();
for (const [k, name] of names.entries()) {
  if (scenario === 'first' && k > 0) entries.set(name, new Map());
  else entries.set(name, buildEntries(scenario === 'changed' && k === 0));
}
let base = new Map();
if (scenario === 'same+base' || scenario === 'changed') {
  // As readBase builds it: base.json holds each path once, with the machines holding it alike.
  const builder = new LayeredBaseBuilder(names);
  for (const [path, entry] of buildEntries(false)) builder.setShared(path, entry);
  base = builder.build();
}
const snapshot = Object.freeze({
  self: names[0],
  paths: Object.freeze(['data']),
  machines: Object.freeze(names.map((name) => Object.freeze({ name, status: 'online', clockOffsetMs: 0 }))),
  entries,
  takenAtMs: 1_700_000_000_000,
  digest: 'synthetic',
});
const buildMs = performance.now() - t0;
globalThis.gc?.();
const rssInputMB = process.memoryUsage().rss / 1048576;
const maxRssInputMB = process.resourceUsage().maxRSS / 1024;

const t1 = performance.now();
const plan = buildPlan({
  configDigest: 'synthetic',
  snapshot,
  base,
  options: { prefer: { kind: 'none' }, propagateDeletes: false, modifyWindow: 1, targets: [] },
  nowMs: 1_700_000_000_000,
});
const planMs = performance.now() - t1;
const entryCount = [...entries.values()].reduce((s, m) => s + m.size, 0) + [...base.values()].reduce((s, m) => s + m.size, 0);

process.stdout.write(
  JSON.stringify({
    scenario,
    files,
    machines: machineCount,
    entries: entryCount,
    buildInputMs: Math.round(buildMs),
    planMs: Math.round(planMs),
    steps: plan.steps.length,
    inSync: plan.inSync,
    conflicts: plan.conflicts.length,
    rssAfterInputMB: Math.round(rssInputMB),
    maxRssBeforePlanMB: Math.round(maxRssInputMB),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedAfterPlanMB: Math.round(process.memoryUsage().heapUsed / 1048576),
  }) + '\n',
);
