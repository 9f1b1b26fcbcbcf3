#!/usr/bin/env node
// What blat's rsync arguments cost against raw `rsync -a --files-from`, on a held bench setup
// (`node bench/run.mjs --files 100000 --hold` prints its directory). Alternates, each round on a
// fresh 1% of self's files (rewritten untimed, then `sync`): blat's arguments for a push batch
// (src/transport/rsync.ts), the same without --temp-dir, and raw's. Both receivers at once.
//   node bench/rsync-flags.mjs /tmp/blat-bench-XXXXXX [rounds]
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRsyncArgs, TRANSFER_TEMP_DIR } from '../dist/transport/rsync.js';
import { rewriteFiles } from './tree.mjs';

const [dir, roundsArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/rsync-flags.mjs BENCH_DIR [rounds]   (BENCH_DIR from `node bench/run.mjs --hold`)');
  process.exit(1);
}
const rounds = Number(roundsArg ?? 9);
const roots = Object.fromEntries(['m1', 'm2', 'm3'].map((m) => [m, join(dir, 'roots', m)]));
const files = 100_000;
const sshOptions = ['-F', join(dir, 'sshd', 'ssh_config'), '-o', 'BatchMode=yes', '-o', 'ControlMaster=auto', '-o', `ControlPath=${join(dir, 'cm-%C')}`, '-o', 'ControlPersist=3600'];
const receivers = ['m2', 'm3'];

// blat's precheck makes the temporary folder; here it is made once, owned as the root is.
for (const m of receivers) {
  const tmp = join(roots[m], TRANSFER_TEMP_DIR);
  mkdirSync(tmp, { recursive: true });
  const st = statSync(roots[m]);
  chownSync(tmp, st.uid, st.gid);
}

const run = (args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn('rsync', args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'inherit'] });
    if (input) child.stdin.end(input);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rsync exited ${code}`))));
  });
const blatArgs = (m, paths) => buildRsyncArgs({ from: { kind: 'local', root: roots.m1 }, to: { kind: 'ssh', host: m, root: roots[m] }, paths, sshOptions, update: true });
const nulList = (paths) => Buffer.from(paths.map((p) => `${p}\0`).join(''));
const contenders = {
  blat: (m, paths) => run(blatArgs(m, paths), nulList(paths)),
  'no --temp-dir': (m, paths) => run(blatArgs(m, paths).filter((a) => !a.startsWith('--temp-dir')), nulList(paths)),
  raw: (m, paths, list) => run(['-a', '-e', ['ssh', ...sshOptions].join(' '), `--files-from=${list}`, '--', `${roots.m1}/`, `${m}:${roots[m]}/`]),
};

const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
let round = 5000;
for (let r = 0; r < rounds; r++) {
  for (const [name, send] of Object.entries(contenders)) {
    const paths = rewriteFiles(roots.m1, files, round++, Math.floor(Date.now() / 1000) + 0.5);
    const list = join(dir, 'rsync-flags-list.txt');
    writeFileSync(list, paths.join('\n') + '\n');
    execFileSync('sync');
    const t0 = performance.now();
    await Promise.all(receivers.map((m) => send(m, paths, list)));
    times[name].push(performance.now() - t0);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(14)} median ${(median(xs) / 1000).toFixed(2)} s   runs ${xs.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
}
