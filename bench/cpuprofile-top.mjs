// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
// and the most inclusive time among the project's own (dist/) functions.
//
//   node bench/cpuprofile-top.mjs FILE.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Self- and inclusive-time tables (ms) of a parsed .cpuprofile, biggest first. */
export function buildProfileSummary(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map(); // node id → ms
  const { samples, timeDeltas } = profile;
  // timeDeltas[k] is the time before sample k; the time spent *in* sample k is timeDeltas[k + 1].
  for (let k = 0; k < samples.length; k++) {
    const dt = (timeDeltas[k + 1] ?? 0) / 1000;
    selfMs.set(samples[k], (selfMs.get(samples[k]) ?? 0) + dt);
  }
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const keyOf = (n) => {
    const f = n.callFrame;
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'}${where ? ' ' + where : ''}`;
  };
  const self = new Map();
  const incl = new Map();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + ms);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(byId.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + ms);
    }
  }
  const sorted = (m, filter = () => true) => [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: total,
    self: sorted(self),
    inclusiveOwn: sorted(incl, (k) => k.includes(' dist/')),
  };
}

function shortUrl(url) {
  const m = /\/(node_modules\/.*)$/.exec(url) ?? /\/(dist\/.*)$/.exec(url) ?? /\/(bench\/.*)$/.exec(url);
  return m ? m[1] : basename(url);
}

/** The summary as text lines. */
export function renderProfileSummary(summary, title = '') {
  const pct = (ms) => ((100 * ms) / (summary.totalMs || 1)).toFixed(1).padStart(5);
  const lines = [];
  if (title) lines.push(title);
  lines.push(`total sampled ${summary.totalMs.toFixed(0)} ms`, '', 'self time:');
  for (const [k, ms] of summary.self) lines.push(`  ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}%  ${k}`);
  lines.push('', 'inclusive time, dist/ functions:');
  for (const [k, ms] of summary.inclusiveOwn) lines.push(`  ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}%  ${k}`);
  return lines.join('\n') + '\n';
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/cpuprofile-top.mjs FILE.cpuprofile [--top N]\n');
    process.exit(1);
  }
  const ti = process.argv.indexOf('--top');
  const top = ti === -1 ? 25 : Number(process.argv[ti + 1]);
  process.stdout.write(renderProfileSummary(buildProfileSummary(JSON.parse(readFileSync(file, 'utf8')), top), file));
}
