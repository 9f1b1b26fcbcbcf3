// `npm run bench`: blat against the raw limit of the same work, on three machines over a private sshd.
//
//   node bench/run.mjs [--files 10000] [--runs 3] [--planner-files 1000000] [--no-planner]
//                      [--only first,noop,changed,rss,moved,plan1,planner] [--no-unison] [--profile] [--keep]
//                      [--hold] [--rtt MS] [--machines N] [--link] [--out bench/results.md]
// --machines: m1 (self) and N-1 machines over ssh (default 3 in all). --link: the other machines'
// trees are hard links of self's (the default from 500,000 files: identical trees cost no disk).
// plan1: `blat plan` after 1% changed on self, every machine found alike before (peak RSS too).
// The no-op and 1% changed work also time Unison (`unison`, Debian's 2.52, on the PATH here and of
// the ssh login user) synced in a star, m1 with m2 then m1 with m3; --no-unison leaves it out.
// --rtt puts a network's round-trip time (no bandwidth limit) between this machine and m2, m3:
// ssh reaches them through bench/delay-proxy.mjs.
// --hold sets the machines up, settles blat's base, prints how to reach them and waits for Ctrl-C.
//
// Machines m1 (self, so blat reads its root locally), m2 and m3 (ssh to 127.0.0.1 as an
// unprivileged user) each hold the same deterministic tree under their own root. Contenders
// alternate within each round after one untimed warm-up each; every run of every contender is
// checked (trees identical afterwards, or the plan/scan saw every entry) before its time counts.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync, chmodSync, mkdtempSync, openSync, writeSync, fsyncSync, closeSync, readdirSync } from 'node:fs';
import { cpus, tmpdir, userInfo, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildProfileSummary, renderProfileSummary } from './cpuprofile-top.mjs';
import { readyLoginUser, startSshd } from './sshd.mjs';
import { SYNC_PATH, changedFiles, checkIdentical, fileContent, folderPaths, rewriteFiles, writeTree } from './tree.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');
const CLI = join(REPO, 'dist', 'bin', 'blat.js');
// m1 (self) and the machines over ssh: m2, m3 unless --machines says how many in all.
let MACHINES = ['m1', 'm2', 'm3'];
const SELF = 'm1';
let REMOTE = ['m2', 'm3'];
const SCAN_FORMAT = '%p\\0%y\\0%T@\\0%s\\0%m\\0%l\\0'; // the same records blat's scan asks GNU find for

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const o = { files: 10_000, runs: 3, plannerFiles: 1_000_000, planner: true, only: null, unison: true, profile: false, keep: false, out: join(BENCH, 'results.md') };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const next = () => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--files') o.files = Number(next());
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--planner-files') o.plannerFiles = Number(next());
    else if (a === '--no-planner') o.planner = false;
    else if (a === '--only') o.only = new Set(next().split(','));
    else if (a === '--no-unison') o.unison = false;
    else if (a === '--profile') o.profile = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--hold') o.hold = true;
    else if (a === '--rtt') o.rtt = Number(next());
    else if (a === '--machines') o.machines = Number(next());
    else if (a === '--link') o.link = true;
    else if (a === '--out') o.out = resolve(next());
    else if (a === '-h' || a === '--help') {
      const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      process.stdout.write(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (!Number.isInteger(o.files) || o.files < 100) throw new Error('--files: an integer ≥ 100');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs: an integer ≥ 1');
  if (o.rtt !== undefined && !(Number.isFinite(o.rtt) && o.rtt >= 0)) throw new Error('--rtt: milliseconds ≥ 0');
  if (o.machines !== undefined && !(Number.isInteger(o.machines) && o.machines >= 2 && o.machines <= 9)) throw new Error('--machines: an integer from 2 to 9');
  // At a million files the other machines' trees are hard links of self's (rewritten files get new inodes).
  o.link ??= o.files >= 500_000;
  return o;
}

// ---------------------------------------------------------------- processes

const children = new Set();

/**
 * Runs a program without a shell. stdout is kept as text ('text'), counted ('count': bytes and NULs)
 * or dropped; stderr is kept. Resolves with { code, signal, stdout, bytes, nuls, stderr, ms }.
 */
function run(file, args, { cwd, env, input, stdout = 'none', timeoutMs = 30 * 60_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let bytes = 0;
    let nuls = 0;
    let err = '';
    child.stdout.on('data', (b) => {
      bytes += b.length;
      if (stdout === 'text') out += b.toString('utf8');
      else if (stdout === 'count') for (let i = b.indexOf(0); i !== -1; i = b.indexOf(0, i + 1)) nuls++;
    });
    child.stderr.on('data', (b) => {
      if (err.length < 1 << 20) err += b.toString('utf8');
    });
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`${file}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, signal, stdout: out, bytes, nuls, stderr: err, ms: performance.now() - t0 });
    });
  });
}

/** Like run, but throws (with the command and its stderr) unless it exits 0. */
async function runOk(file, args, opts) {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr.trim().slice(0, 2000)}`);
  return r;
}

/** A word quoted for a POSIX shell. */
function sq(word) {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function log(text) {
  process.stderr.write(`${text}\n`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---------------------------------------------------------------- environment

/** Everything the benchmark sets up, and how to take it down again. */
class Bench {
  constructor(opts) {
    this.opts = opts;
    this.n = opts.files;
    this.expectedEntries = opts.files + folderPaths(opts.files).length;
    this.dir = mkdtempSync(join(tmpdir(), 'blat-bench-'));
    chmodSync(this.dir, 0o755);
    this.roots = Object.fromEntries(MACHINES.map((m) => [m, join(this.dir, 'roots', m)]));
    this.configFile = join(this.dir, 'blat.yaml');
    this.stateDir = join(this.dir, 'state');
    this.round = 0; // 1% rewrite rounds so far
    this.sshd = null;
  }

  async setUp() {
    const isRoot = process.getuid?.() === 0;
    this.user = readyLoginUser();
    log(`bench dir ${this.dir}; ssh login user ${this.user.name}`);
    this.sshd = await startSshd({ dir: join(this.dir, 'sshd'), user: this.user, hosts: MACHINES, delayMs: (this.opts.rtt ?? 0) / 2 });
    this.sshConfig = this.sshd.sshConfigFile;
    // The raw contenders' own multiplexed connections (blat keeps its own in /tmp/blat-UID).
    this.rawSsh = ['-F', this.sshConfig, '-o', 'BatchMode=yes', '-o', 'ControlMaster=auto', '-o', `ControlPath=${join(this.dir, 'cm-%C')}`, '-o', 'ControlPersist=3600'];
    this.rawRsh = ['ssh', ...this.rawSsh].map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w}'`)).join(' ');

    for (const m of MACHINES) mkdirSync(this.roots[m], { recursive: true, mode: 0o755 });
    const t0 = performance.now();
    writeTree(this.roots[SELF], this.n);
    for (const m of REMOTE) {
      execFileSync('cp', [this.opts.link ? '-al' : '-a', join(this.roots[SELF], SYNC_PATH), this.roots[m]]);
      if (isRoot && this.user.uid !== 0) execFileSync('chown', ['-R', `${this.user.uid}:${this.user.gid}`, this.roots[m]]);
    }
    log(`wrote ${this.n} files × ${MACHINES.length} machines${this.opts.link ? ' (hard links of self\'s)' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    checkIdentical(this.roots, 'setup');

    const machines = MACHINES.map((m) => `  ${m}:\n    host: ${m}\n    root: ${JSON.stringify(this.roots[m])}`).join('\n');
    writeFileSync(
      this.configFile,
      `version: 1\nself: ${SELF}\npaths: [${SYNC_PATH}]\nstateDir: state\nssh:\n  configFile: ${JSON.stringify(this.sshConfig)}\n  connectTimeout: 10\nmachines:\n${machines}\n`,
    );
    // Warm up the raw contenders' connections.
    await Promise.all(REMOTE.map((m) => runOk('ssh', [...this.rawSsh, m, 'true'])));
  }

  /** Closes the multiplexed connections (ours and blat's), stops sshd, removes the bench dir. */
  async tearDown() {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const c of children) c.kill('SIGKILL');
    if (this.sshd) {
      const blatControl = join(tmpdir(), `blat-${userInfo().uid}`, '%C');
      await Promise.all(
        REMOTE.flatMap((m) => [
          run('ssh', [...this.rawSsh, '-O', 'exit', m], { timeoutMs: 5000 }).catch(() => {}),
          run('ssh', ['-F', this.sshConfig, '-o', `ControlPath=${blatControl}`, '-O', 'exit', m], { timeoutMs: 5000 }).catch(() => {}),
        ]),
      );
      await this.sshd.stop();
      this.sshd = null;
    }
    if (!this.opts.keep) rmSync(this.dir, { recursive: true, force: true });
    else log(`kept ${this.dir}`);
  }

  blatEnv() {
    const env = { ...process.env, NO_COLOR: '1' };
    delete env.BLAT_SELF;
    delete env.BLAT_CONFIG;
    delete env.FORCE_COLOR;
    return env;
  }

  /** `node [nodeArgs] dist/bin/blat.js -c blat.yaml args…`. */
  blat(args, nodeArgs = [], wrap = null, extraEnv = {}) {
    const argv = [...nodeArgs, CLI, '-c', this.configFile, ...args];
    const [file, fargs] = wrap ? [wrap[0], [...wrap.slice(1), process.execPath, ...argv]] : [process.execPath, argv];
    return run(file, fargs, { cwd: this.dir, env: { ...this.blatEnv(), ...extraEnv }, stdout: 'text' });
  }

  // -------------------------------------------------------------- the contenders

  /** `blat plan` on identical trees; checks that it found nothing to do and saw every entry. */
  async blatPlan(nodeArgs = [], wrap = null, extraEnv = {}) {
    const r = await this.blat(['plan', '--detailed-exitcode'], nodeArgs, wrap, extraEnv);
    if (r.code !== 0) throw new Error(`blat plan exited ${r.code} on identical trees:\n${(r.stdout + r.stderr).slice(0, 2000)}`);
    const m = /in sync \((\d+) paths\)/.exec(r.stdout);
    if (!m || Number(m[1]) !== this.expectedEntries) {
      throw new Error(`blat plan: expected "in sync (${this.expectedEntries} paths)", got:\n${r.stdout.slice(0, 1000)}`);
    }
    return r.ms;
  }

  /** The raw limit of a scan: find on every machine at once (ssh over warm masters for m2, m3), output consumed. */
  async rawScan() {
    const t0 = performance.now();
    const rs = await Promise.all(
      MACHINES.map((m) => {
        const cmd = `cd ${sq(this.roots[m])} && find ./${SYNC_PATH} -printf '${SCAN_FORMAT}'`;
        return m === SELF ? run('/bin/sh', ['-c', cmd], { stdout: 'count' }) : run('ssh', [...this.rawSsh, m, cmd], { stdout: 'count' });
      }),
    );
    const ms = performance.now() - t0;
    rs.forEach((r, k) => {
      if (r.code !== 0) throw new Error(`raw scan of ${MACHINES[k]} exited ${r.code}: ${r.stderr.trim()}`);
      if (r.nuls !== 6 * this.expectedEntries) throw new Error(`raw scan of ${MACHINES[k]}: ${r.nuls / 6} records, expected ${this.expectedEntries}`);
    });
    return ms;
  }

  /** rsync -a from self's root to a remote machine's root (optionally only the listed files). */
  rsyncTo(m, filesFrom) {
    const args = ['-a', '-e', this.rawRsh];
    if (filesFrom) args.push(`--files-from=${filesFrom}`);
    args.push('--', `${this.roots[SELF]}/`, `${m}:${this.roots[m]}/`);
    return runOk('rsync', args);
  }

  /** Rewrites 1% of self's files (new content, new mtime); returns a --files-from list file of them, and the paths. */
  prepareChange() {
    const round = this.round++;
    const mtime = Math.floor(Date.now() / 1000) + 0.5;
    const paths = rewriteFiles(this.roots[SELF], this.n, round, mtime, this.opts.link);
    const list = join(this.dir, `changed-${round}.txt`);
    writeFileSync(list, paths.join('\n') + '\n');
    return { list, paths, count: paths.length };
  }

  /**
   * One round trip to `m` that looks again at the listed paths (find -maxdepth 0, blat's record
   * format), as blat's precheck and its look after a transfer do; with `tempDir`, making the
   * transfer temp folder on the way, as the precheck does. Checks every path was seen.
   */
  async rawRestat(m, paths, tempDir = false) {
    const find = `find "$@" -maxdepth 0 -printf '${SCAN_FORMAT}'`;
    const cmd = `cd ${sq(this.roots[m])} && ${tempDir ? 'mkdir -p .blat-tmp && ' : ''}xargs -0 sh -c ${sq(find)} sh`;
    const input = Buffer.from(paths.map((p) => `${p}\0`).join(''));
    const r = m === SELF ? await run('/bin/sh', ['-c', cmd], { input, stdout: 'count' }) : await run('ssh', [...this.rawSsh, m, cmd], { input, stdout: 'count' });
    if (r.code !== 0 || r.nuls !== 6 * paths.length) throw new Error(`restat of ${m}: exit ${r.code}, ${r.nuls / 6} of ${paths.length} records: ${r.stderr.trim()}`);
  }

  /**
   * The steps the design asks of an apply of a 1% change, each done with the raw tools and no
   * blat code: a node process starting, the parallel scan, the precheck (one round trip per
   * machine), one rsync per receiver with blat's own arguments (temp folder, --update), the look
   * at what arrived (one round trip per receiver), and two fsyncs (journal, base). Planning,
   * parsing and rendering are left out: a floor for blat, not a contender to beat.
   */
  async designSteps(paths) {
    const { buildRsyncArgs } = await import(pathToFileURL(join(REPO, 'dist', 'transport', 'rsync.js')).href);
    const input = Buffer.from(paths.map((p) => `${p}\0`).join(''));
    const t0 = performance.now();
    await runOk(process.execPath, ['-e', '0']);
    await this.rawScan();
    await Promise.all(MACHINES.map((m) => this.rawRestat(m, paths, m !== SELF)));
    await Promise.all(
      REMOTE.map((m) =>
        runOk('rsync', buildRsyncArgs({ from: { kind: 'local', root: this.roots[SELF] }, to: { kind: 'ssh', host: m, root: this.roots[m] }, paths, sshOptions: this.rawSsh, update: true }), { input }),
      ),
    );
    await Promise.all(REMOTE.map((m) => this.rawRestat(m, paths)));
    const fd = openSync(join(this.dir, 'design-steps.log'), 'a');
    for (const what of ['journal', 'base']) {
      writeSync(fd, `${what} ${paths.length}\n`);
      fsyncSync(fd);
    }
    closeSync(fd);
    return performance.now() - t0;
  }

  /** A first sync again: the remotes' trees gone, and every machine's records of the set (`.blat`), or blat would rightly take the emptied roots for disks that are not the ones synced. */
  emptyRemotes() {
    for (const m of REMOTE) rmSync(join(this.roots[m], SYNC_PATH), { recursive: true, force: true });
    for (const m of MACHINES) rmSync(join(this.roots[m], '.blat'), { recursive: true, force: true });
  }

  async blatApply(what) {
    const r = await this.blat(['apply', '--auto-approve']);
    if (r.code !== 0) throw new Error(`blat apply (${what}) exited ${r.code}:\n${(r.stdout + r.stderr).slice(-3000)}`);
    return r;
  }

  verify(what) {
    const entries = checkIdentical(this.roots, what);
    if (entries !== this.expectedEntries) throw new Error(`${what}: ${entries} entries on every machine, expected ${this.expectedEntries}`);
  }

  // -------------------------------------------------------------- Unison

  /**
   * Readies Unison: its version here and on m2, m3 (Unison needs the same on both ends), and one
   * archive folder per machine under the bench dir (UNISON=…, so nothing goes to ~/.unison; the
   * remote ones belong to the ssh login user). Sets `this.unison` to { ok: true, version } or
   * { ok: false, why }.
   */
  async readyUnison() {
    const here = spawnSync('unison', ['-version'], { encoding: 'utf8' });
    if (here.error || here.status !== 0) {
      this.unison = { ok: false, why: '`unison` is not installed here (apt-get install unison)' };
      return this.unison;
    }
    const version = here.stdout.trim();
    for (const m of REMOTE) {
      const there = await run('ssh', [...this.rawSsh, m, 'unison -version'], { stdout: 'text' });
      if (there.code !== 0 || there.stdout.trim() !== version) {
        this.unison = { ok: false, why: `\`unison\` on ${m}: ${there.code === 0 ? there.stdout.trim() : `not runnable (exit ${there.code})`}, here ${version}` };
        return this.unison;
      }
    }
    const bad = this.rawSsh.find((w) => /\s/.test(w));
    if (bad) throw new Error(`Unison's -sshargs is split at spaces: ${bad}`);
    this.unisonHome = join(this.dir, 'unison-home');
    for (const m of MACHINES) {
      mkdirSync(join(this.unisonHome, m), { recursive: true, mode: 0o700 });
      if (m !== SELF && process.getuid?.() === 0 && this.user.uid !== 0) chownSync(join(this.unisonHome, m), this.user.uid, this.user.gid);
    }
    chmodSync(this.unisonHome, 0o755);
    this.unison = { ok: true, version };
    return this.unison;
  }

  /**
   * `unison -batch -prefer newer -times` between self's root and m's (ssh://m//ROOT, over the raw
   * contenders' warm ssh masters), on the sync path alone, blat's folders ignored. Throws unless it
   * exits 0 (every change propagated); resolves with { ms, out } (out: stdout and stderr).
   */
  async unisonPair(m) {
    const args = [
      '-ui', 'text', '-batch', '-prefer', 'newer', '-times',
      '-path', SYNC_PATH, '-ignore', 'Name .blat*',
      '-sshargs', this.rawSsh.join(' '),
      '-servercmd', `env UNISON=${sq(join(this.unisonHome, m))} unison`,
      this.roots[SELF], `ssh://${m}/${this.roots[m]}`,
    ];
    const r = await run('unison', args, { cwd: this.dir, env: { ...process.env, UNISON: join(this.unisonHome, SELF) }, stdout: 'text' });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.code !== 0) throw new Error(`unison m1 <-> ${m} exited ${r.code ?? r.signal}:\n${out.trim().slice(-3000)}`);
    return { ms: r.ms, out };
  }

  /** The star a user of Unison scripts for three replicas: m1 <-> m2, then m1 <-> m3. Resolves with { ms, outs }. */
  async unisonStar() {
    const t0 = performance.now();
    const outs = [];
    for (const m of REMOTE) outs.push((await this.unisonPair(m)).out);
    return { ms: performance.now() - t0, outs };
  }
}

/** Throws unless every pair of a Unison star found nothing to do. */
function checkUnisonNothing(outs, what) {
  outs.forEach((out, k) => {
    if (!/Nothing to do: replicas have (not changed|been changed only in identical ways) since last sync/.test(out)) {
      throw new Error(`${what}: unison m1 <-> ${REMOTE[k]} found something to do:\n${out.trim().slice(-2000)}`);
    }
  });
}

/** Throws unless every pair of a Unison star transferred exactly `count` items, none skipped or failed. */
function checkUnisonTransferred(outs, count, what) {
  outs.forEach((out, k) => {
    const m = /\((\d+) items? transferred, (\d+) skipped, (\d+) failed\)/.exec(out);
    if (!m || Number(m[1]) !== count || m[2] !== '0' || m[3] !== '0') {
      throw new Error(`${what}: unison m1 <-> ${REMOTE[k]}: expected ${count} items transferred, none skipped or failed:\n${out.trim().slice(-2000)}`);
    }
  });
}

// ---------------------------------------------------------------- the measurements

/**
 * Runs each contender once untimed, then `runs` rounds alternating which goes first; `prepare`
 * (untimed) runs before every run of either, `check` (untimed) after. Returns the times in ms.
 */
async function measure(name, runs, contenders, { prepare = async () => {}, check = async () => {} } = {}) {
  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const keys = Object.keys(contenders);
  for (let r = -1; r < runs; r++) {
    const order = r % 2 === 0 ? keys : [...keys].reverse();
    for (const k of order) {
      await prepare(k);
      const ms = await contenders[k]();
      await check(k);
      if (r >= 0) times[k].push(ms);
      log(`[${name}] ${r < 0 ? 'warm-up' : `run ${r + 1}/${runs}`} ${k}: ${(ms / 1000).toFixed(3)} s`);
    }
  }
  return times;
}

async function benchFirstSync(b) {
  return measure('first sync', b.opts.runs, {
    blat: async () => (await b.blatApply('first sync')).ms,
    raw: async () => {
      const t0 = performance.now();
      await Promise.all(REMOTE.map((m) => b.rsyncTo(m)));
      return performance.now() - t0;
    },
  }, {
    prepare: async (k) => {
      b.emptyRemotes();
      // blat's state goes whoever runs next: a state folder that synced machines whose records are gone would (rightly) stop the next apply.
      rmSync(b.stateDir, { recursive: true, force: true });
      // Flush the deletions' writeback now, untimed, not in the middle of the next contender's run.
      execFileSync('sync');
    },
    check: async (k) => b.verify(`first sync (${k})`),
  });
}

/**
 * `blat` plans with the machines' seen lines its previous plan wrote (the usual case: plans repeated
 * on unchanged machines: each machine answers "same"); `cold` with no seen line anywhere and no copy
 * of their listing (the worst case: every listing read whole, and the base).
 */
async function benchNoop(b) {
  let star = null;
  const unison = b.unison?.ok ? { unison: async () => (star = await b.unisonStar()).ms } : {};
  return measure('no-op', b.opts.runs, { blat: () => b.blatPlan(), cold: () => b.blatPlan(), raw: () => b.rawScan(), ...unison }, {
    prepare: async (k) => {
      if (k === 'cold') {
        rmSync(join(b.stateDir, 'seen.json'), { force: true });
        for (const m of MACHINES) {
          const sets = join(b.roots[m], '.blat', 'sets');
          for (const set of existsSync(sets) ? readdirSync(sets) : []) for (const f of readdirSync(join(sets, set))) if (f.startsWith('seen-')) rmSync(join(sets, set, f));
        }
      }
    },
    check: async (k) => {
      if (k === 'unison') checkUnisonNothing(star.outs, 'no-op (unison)');
    },
  });
}

async function benchChanged(b) {
  let list = null;
  let star = null;
  return measure('1% changed', b.opts.runs, {
    blat: async () => (await b.blatApply('1% changed')).ms,
    raw: async () => {
      const t0 = performance.now();
      await b.rawScan();
      await Promise.all(REMOTE.map((m) => b.rsyncTo(m, list.list)));
      return performance.now() - t0;
    },
    steps: () => b.designSteps(list.paths),
    ...(b.unison?.ok ? { unison: async () => (star = await b.unisonStar()).ms } : {}),
  }, {
    prepare: async (k) => {
      // Unison's archives learn (untimed) what the other contenders synced since its last run, so
      // that, like a user who runs Unison alone, it meets only its own fresh 1%.
      if (k === 'unison') await b.unisonStar();
      list = b.prepareChange();
      // Write the rewritten files back now, untimed: blat's fsyncs (journal, base) would otherwise
      // pay for the bench's own writes, and for what the previous contender left dirty.
      execFileSync('sync');
    },
    check: async (k) => {
      if (k === 'unison') checkUnisonTransferred(star.outs, list.count, '1% changed (unison)');
      b.verify(`1% changed (${k})`);
    },
  });
}

/**
 * A plan after 1% of the files changed on one machine (self), every machine found alike by the
 * plan before (their seen lines in place): `blat plan` under /usr/bin/time (its peak RSS kept in
 * b.plan1Rss), against the raw parallel scan. Before each blat run the previous change is applied
 * and planned once (untimed), so each run meets exactly one fresh 1%.
 */
async function benchPlanAfterChange(b) {
  let list = null;
  let dirty = false;
  const haveTime = existsSync('/usr/bin/time');
  b.plan1Rss = [];
  let rssFile = null;
  return measure('plan after 1% changed', b.opts.runs, {
    blat: async () => {
      const r = await b.blat(['plan', '--json'], [], haveTime ? ['/usr/bin/time', '-f', '%M', '-o', rssFile] : null);
      if (r.code !== 0) throw new Error(`blat plan (1% changed) exited ${r.code}:\n${(r.stdout + r.stderr).slice(-2000)}`);
      const plan = JSON.parse(r.stdout);
      const pushes = plan.steps.filter((s) => s.action === 'push').length;
      if (pushes !== list.count * REMOTE.length || plan.conflicts.length > 0) throw new Error(`blat plan (1% changed): ${pushes} pushes, ${plan.conflicts.length} conflicts; expected ${list.count * REMOTE.length} pushes`);
      if (haveTime) {
        const kib = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        if (!Number.isFinite(kib) || kib <= 0) throw new Error(`could not read max RSS from ${rssFile}`);
        b.plan1Rss.push(kib);
      }
      return r.ms;
    },
    raw: () => b.rawScan(),
  }, {
    prepare: async (k) => {
      if (k !== 'blat') return;
      if (dirty) await b.blatApply('plan after 1% changed: settle');
      // The plan that finds every machine alike writes their seen lines.
      const settled = await b.blat(['plan', '--detailed-exitcode']);
      if (settled.code !== 0) throw new Error(`blat plan (settle) exited ${settled.code}:\n${settled.stdout.slice(-2000)}`);
      list = b.prepareChange();
      dirty = true;
      rssFile = join(b.dir, `plan1-rss-${b.round}.txt`);
      execFileSync('sync');
    },
  });
}

/** Files in the folder the "moved folder" phase moves. */
const MOVED_FILES = 1000;

/**
 * A folder of 1,000 files (10 subfolders of 100, 1–8 KiB each) is added on every machine and the
 * base settled (untimed); before each run m1 renames it. `blat`: `blat apply` (move steps: `mv` on
 * m2 and m3, nothing sent); `raw`: the time to transfer the moved folder, rsync -a of it to m2 and
 * m3 at once (the old folder is then removed there and the base settled, untimed). The folder is
 * removed everywhere at the end.
 */
async function benchMoved(b) {
  let current = `${SYNC_PATH}/album-0`;
  const old = { path: current };
  for (const m of MACHINES) {
    for (let i = 0; i < MOVED_FILES; i++) {
      const rel = `${current}/d${i % 10}/f${i}.dat`;
      mkdirSync(dirname(join(b.roots[m], rel)), { recursive: true, mode: 0o755 });
      writeFileSync(join(b.roots[m], rel), fileContent(i + 10_000_000));
      utimesSync(join(b.roots[m], rel), 1_700_000_000 + i, 1_700_000_000 + i);
    }
    for (let d = 0; d < 10; d++) utimesSync(join(b.roots[m], current, `d${d}`), 1_700_000_000, 1_700_000_000);
    utimesSync(join(b.roots[m], current), 1_700_000_000, 1_700_000_000);
    // As in setUp: the remote roots belong to the ssh login user (who must be able to rename the folder).
    if (m !== SELF && process.getuid?.() === 0 && b.user.uid !== 0) execFileSync('chown', ['-R', `${b.user.uid}:${b.user.gid}`, join(b.roots[m], current)]);
  }
  await b.blatApply('moved folder: settle base');
  let round = 0;
  let applied = null;
  const times = await measure('moved folder', b.opts.runs, {
    blat: async () => {
      applied = await b.blatApply('moved folder');
      return applied.ms;
    },
    raw: async () => {
      const t0 = performance.now();
      await Promise.all(REMOTE.map((m) => runOk('rsync', ['-a', '-e', b.rawRsh, '--', `${b.roots[SELF]}/${current}/`, `${m}:${b.roots[m]}/${current}/`])));
      return performance.now() - t0;
    },
  }, {
    prepare: async () => {
      old.path = current;
      current = `${SYNC_PATH}/album-${++round}`;
      renameSync(join(b.roots[SELF], old.path), join(b.roots[SELF], current));
      execFileSync('sync');
    },
    check: async (k) => {
      if (k === 'blat' && !/Plan: 2 to move, 0 to pull, 0 to push,/.test(applied.stdout)) throw new Error(`moved folder: blat did not plan two moves alone:\n${applied.stdout.slice(-2000)}`);
      if (k === 'raw') for (const m of REMOTE) rmSync(join(b.roots[m], old.path), { recursive: true, force: true });
      checkIdentical(b.roots, `moved folder (${k})`);
      for (const m of MACHINES) if (existsSync(join(b.roots[m], old.path))) throw new Error(`moved folder (${k}): ${old.path} still on ${m}`);
      if (k === 'raw') await b.blatApply('moved folder: settle base');
    },
  });
  for (const m of MACHINES) rmSync(join(b.roots[m], current), { recursive: true, force: true });
  await b.blatApply('moved folder: settle base');
  b.verify('moved folder: removed');
  return times;
}

/** Max RSS (KiB) of `blat plan`, per run: /usr/bin/time -f %M when there, else a preload reporting resourceUsage(). */
async function benchRss(b) {
  const out = [];
  const haveTime = existsSync('/usr/bin/time');
  for (let r = 0; r < b.opts.runs; r++) {
    const file = join(b.dir, `rss-${r}.txt`);
    if (haveTime) await b.blatPlan([], ['/usr/bin/time', '-f', '%M', '-o', file]);
    else await b.blatPlan(['--import', pathToFileURL(join(BENCH, 'maxrss-preload.mjs')).href], null, { BLAT_BENCH_RSS_FILE: file });
    const kib = Number(readFileSync(file, 'utf8').trim().split('\n').pop());
    if (!Number.isFinite(kib) || kib <= 0) throw new Error(`could not read max RSS from ${file}`);
    out.push(kib);
    log(`[peak RSS] run ${r + 1}/${b.opts.runs}: ${(kib / 1024).toFixed(0)} MiB${haveTime ? '' : ' (node only)'}`);
  }
  return out;
}

/** Runs bench/planner-mem.mjs in its own process; its JSON line. */
async function benchPlannerMem(files, scenario) {
  const r = await runOk(process.execPath, [join(BENCH, 'planner-mem.mjs'), '--files', String(files), '--scenario', scenario], { stdout: 'text' });
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  log(`[planner ${scenario}] ${files} files × 3: max RSS ${res.maxRssMB} MiB (input alone ${res.maxRssBeforePlanMB} MiB), buildPlan ${res.planMs} ms`);
  return res;
}

/** A CPU profile of one blat command (after `prepare`), summarised. */
async function profileBlat(b, title, args, prepare = async () => {}, check = async () => {}) {
  await prepare();
  const dir = join(b.dir, 'prof', String(Date.now()));
  mkdirSync(dir, { recursive: true });
  const r = await b.blat(args, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  if (r.code !== 0) throw new Error(`profiling ${title}: blat exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  await check();
  const files = execFileSync('ls', [dir], { encoding: 'utf8' }).trim().split('\n').filter((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, files[0]), 'utf8'));
  return renderProfileSummary(buildProfileSummary(profile, 25), `### profile: ${title} (wall ${(r.ms / 1000).toFixed(2)} s)`);
}

// ---------------------------------------------------------------- report

const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtMiB = (kib) => `${(kib / 1024).toFixed(0)} MiB`;

function buildRows(res, n) {
  const rows = [];
  const at = n === 100_000 ? '' : ' (target is for 100,000 files)';
  const ratioRow = (work, t, limit, what, contender = 'blat', scaleFree = false) => {
    if (!t?.[contender]) return;
    const ratio = median(t[contender]) / median(t.raw);
    const target = limit === null ? '(information)' : `≤ ${limit}×${scaleFree ? '' : at}`;
    rows.push({ work, blat: fmtS(median(t[contender])), raw: `${fmtS(median(t.raw))} (${what})`, ratio: `${ratio.toFixed(2)}×`, target, met: limit === null ? null : ratio <= limit, key: work });
  };
  ratioRow('no-op: `blat plan` (again: every machine answers "same" by its seen line)', res.noop, 1.1, 'parallel scan');
  ratioRow('no-op: `blat plan` with no seen line anywhere and no copy of their listing (every listing and the base read whole)', res.noop, null, 'parallel scan', 'cold');
  ratioRow('1% changed: `blat apply`', res.changed, 1.69, 'scan + rsync --files-from');
  ratioRow("1% changed: the design's steps by hand (node start, scan, precheck, blat's rsync arguments, look, 2 fsyncs; no blat code)", res.changed, null, 'scan + rsync --files-from', 'steps');
  const unisonRow = (work, t, what, blatWork) => {
    if (!res.unison || !t) return;
    if (!res.unison.ok) {
      rows.push({ work, blat: '—', raw: '—', ratio: '—', target: `not run: ${res.unison.why}`, met: null, key: work });
      return;
    }
    if (!t.unison) return;
    ratioRow(work, t, null, what, 'unison');
    const x = median(t.unison) / median(t.blat);
    rows[rows.length - 1].vs = x >= 1 ? `${blatWork} ${x.toFixed(1)}× faster` : `${blatWork} ${(1 / x).toFixed(1)}× slower`;
  };
  const star = '`unison -batch -prefer newer -times` m1↔m2, then m1↔m3, in sequence';
  unisonRow(`no-op: Unison star (${star}; archives warmed; found nothing to do)`, res.noop, 'parallel scan', '`blat plan`');
  unisonRow(`1% changed: Unison star (${star}; archives up to date before each change; converged it)`, res.changed, 'scan + rsync --files-from', '`blat apply`');
  ratioRow('first sync: `blat apply`', res.first, 1.2, 'parallel rsync -a');
  const scale = `${n.toLocaleString('en')} files × ${MACHINES.length} machines`;
  ratioRow(`plan after 1% changed on one machine: \`blat plan\` (${scale})`, res.plan1, 1.3, 'parallel scan', 'blat', true);
  if (res.plan1 && res.plan1Rss?.length) {
    const m = median(res.plan1Rss);
    rows.push({ work: `peak RSS of that plan (${scale})`, blat: fmtMiB(m), raw: '—', ratio: '—', target: '≤ 512 MB', met: m * 1024 <= 512e6, key: 'plan1-rss' });
  }
  ratioRow(`moved folder (${MOVED_FILES.toLocaleString('en')} files): \`blat apply\` (mv on m2, m3)`, res.moved, null, 'parallel rsync -a of the folder');
  if (res.rss) {
    const m = median(res.rss);
    rows.push({ work: 'peak RSS of `blat plan`', blat: fmtMiB(m), raw: '—', ratio: '—', target: `≤ 250 MB${at}`, met: m * 1024 <= 250e6, key: 'rss' });
  }
  if (res.planner) {
    for (const p of res.planner) {
      const isTarget = p.scenario === 'same';
      const label =
        p.scenario === 'same' ? 'identical, no base' : p.scenario === 'same+base' ? 'identical, with base' : p.scenario === 'changed' ? '1% changed, with base' : 'first sync';
      rows.push({
        work: `planner alone, ${p.files.toLocaleString('en')} files × 3 (${label})`,
        blat: `${p.maxRssMB} MiB (input ${p.maxRssBeforePlanMB} MiB; buildPlan ${(p.planMs / 1000).toFixed(1)} s)`,
        raw: '—',
        ratio: '—',
        target: isTarget ? '≤ 1 GiB' : '(information)',
        met: isTarget ? p.maxRssMB <= 1024 : null,
        key: `planner-${p.scenario}`,
      });
    }
  }
  return rows;
}

/** The markdown table; `time` is blat's, or Unison's on its rows, where the last column has blat's time against Unison's. */
function renderTable(rows) {
  const lines = ['| work | time (median) | raw (median) | ratio | target | met | blat vs Unison |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.work} | ${r.blat} | ${r.raw} | ${r.ratio} | ${r.target} | ${r.met === null ? '' : r.met ? 'yes' : '**no**'} | ${r.vs ?? ''} |`);
  return lines.join('\n');
}

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].replace(/\s+/g, ' ').trim() || '?';
}

/** Replaces (or adds) this tree size's section (and round trip's, as "N rtt=MS") of the results file. */
function writeResults(file, key, section) {
  const start = `<!-- bench files=${key} -->`;
  const end = `<!-- /bench files=${key} -->`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# blat benchmark results\n\nWritten by `npm run bench` (bench/run.mjs); one section per tree size (and round trip), the latest run of each.\n';
  const block = `${start}\n${section.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i !== -1 && j !== -1) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text.endsWith('\n') ? text : text + '\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.machines !== undefined) {
    MACHINES = Array.from({ length: opts.machines }, (_, k) => `m${k + 1}`);
    REMOTE = MACHINES.slice(1);
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm run bench does)`);
  const want = (k) => !opts.only || opts.only.has(k);
  const b = new Bench(opts);
  let stopping = false;
  const onSignal = (sig) => {
    if (stopping) return;
    stopping = true;
    log(`\n${sig}: cleaning up`);
    b.tearDown().finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);

  const res = {};
  const profiles = [];
  try {
    await b.setUp();
    if (opts.hold) {
      await b.blatApply('settle base');
      log(`holding: blat.yaml at ${b.configFile}; roots under ${join(b.dir, 'roots')}; ssh -F ${b.sshConfig} m2`);
      log(`e.g. node ${CLI} -c ${b.configFile} plan     (Ctrl-C to stop and clean up)`);
      await new Promise(() => {});
    }
    if (want('first')) res.first = await benchFirstSync(b);
    // Settle blat's base on identical trees, as after any successful sync.
    await b.blatApply('settle base');
    b.verify('settle base');
    if (opts.unison && (want('noop') || want('changed'))) {
      const u = await b.readyUnison();
      if (u.ok) {
        // Archives warmed first: Unison's first sync of the identical trees (untimed) builds them.
        const warm = await b.unisonStar();
        b.verify('unison: archives built');
        res.unisonWarm = warm.ms;
        log(`[unison] ${u.version}: archives built (first star sync, untimed) in ${(warm.ms / 1000).toFixed(2)} s`);
      } else log(`[unison] not run: ${u.why}`);
      res.unison = u;
    }
    if (want('noop')) res.noop = await benchNoop(b);
    if (want('rss')) res.rss = await benchRss(b);
    if (want('changed')) res.changed = await benchChanged(b);
    if (want('plan1')) {
      res.plan1 = await benchPlanAfterChange(b);
      res.plan1Rss = b.plan1Rss;
    }
    if (want('moved')) res.moved = await benchMoved(b);

    const rows = buildRows(res, opts.files);
    const missed = new Set(rows.filter((r) => r.met === false).map((r) => r.work));
    const profileNoop = opts.profile || [...missed].some((w) => /no-op|RSS/.test(w));
    const profileChanged = opts.profile || [...missed].some((w) => /1% changed/.test(w));
    const profileFirst = opts.profile || [...missed].some((w) => /first sync/.test(w));
    if (profileNoop) profiles.push(await profileBlat(b, '`blat plan`, no-op', ['plan']));
    if (profileChanged) {
      profiles.push(await profileBlat(b, '`blat apply --auto-approve`, 1% changed', ['apply', '--auto-approve'], async () => b.prepareChange(), async () => b.verify('profile 1%')));
    }
    if (profileFirst) {
      profiles.push(
        await profileBlat(b, '`blat apply --auto-approve`, first sync', ['apply', '--auto-approve'], async () => {
          b.emptyRemotes();
          rmSync(b.stateDir, { recursive: true, force: true });
        }, async () => b.verify('profile first sync')),
      );
    }
    await b.tearDown();

    if (opts.planner && want('planner')) {
      res.planner = [];
      for (const scenario of ['same', 'same+base']) res.planner.push(await benchPlannerMem(opts.plannerFiles, scenario));
    }

    const finalRows = buildRows(res, opts.files);
    const table = renderTable(finalRows);
    const cpu = cpus();
    const samples = ['first', 'noop', 'changed', 'moved']
      .filter((k) => res[k])
      .map((k) => `- ${k}: ${Object.entries(res[k]).map(([who, xs]) => `${who} ${xs.map((x) => (x / 1000).toFixed(2)).join(', ')} s`).join('; ')}`);
    if (res.rss) samples.push(`- peak RSS of blat plan: ${res.rss.map((k) => (k / 1024).toFixed(0)).join(', ')} MiB`);
    if (res.unisonWarm !== undefined) samples.push(`- Unison's first star sync of the identical trees (archives built, untimed): ${(res.unisonWarm / 1000).toFixed(2)} s`);
    const section = [
      `## ${opts.files.toLocaleString('en')} files × ${MACHINES.length} machines, ${opts.runs} runs${opts.rtt ? `, ${opts.rtt} ms round trip to m2 and m3` : ''}`,
      '',
      `${new Date().toISOString()} · ${cpu.length} cores (${cpu[0]?.model ?? '?'}) · Linux ${release()} · node ${process.version} · ${versionOf('rsync', ['--version'])} · ${versionOf('ssh', ['-V'])}${res.unison?.ok ? ` · ${res.unison.version}` : ''}`,
      '',
      `m1 is self (read locally); ${REMOTE.join(", ")} are reached over ssh on 127.0.0.1 (one private sshd, multiplexed connections, warmed up)${opts.rtt ? `, through bench/delay-proxy.mjs: ${opts.rtt / 2} ms each way, no bandwidth limit` : ''}.`,
      `Tree: ${opts.files.toLocaleString('en')} files of 1–8 KiB, 100 per folder, ${folderPaths(opts.files).length} folders. 1% changed = ${changedFiles(opts.files, 0).length} files rewritten on m1 (new content, new mtime) before each run.`,
      'Each contender: one untimed warm-up, then alternating rounds; every run checked (identical trees afterwards, or every entry seen).',
      ...(res.unison?.ok
        ? [
            `Unison: \`unison -ui text -batch -prefer newer -times -path ${SYNC_PATH} -ignore 'Name .blat*' -sshargs '<the raw contenders' ssh options>' ROOT_m1 ssh://mN//ROOT_mN\` for m2, then m3 (UNISON and -servercmd keep its archives in the bench dir), over the same warm ssh masters as raw; its archives built by one untimed star sync first, and brought up to date (untimed) before each 1% change it gets. A no-op run counts if both syncs found nothing to do; a 1% run if both transferred exactly the changed files and the trees are identical afterwards.`,
          ]
        : []),
      '',
      table,
      '',
      'Samples:',
      ...samples,
      ...(profiles.length ? ['', '<details><summary>CPU profiles</summary>', '', '```', ...profiles, '```', '</details>'] : []),
    ].join('\n');
    writeResults(opts.out, opts.rtt ? `${opts.files} rtt=${opts.rtt}` : opts.files, section);
    process.stdout.write(`${table}\n`);
    for (const p of profiles) process.stdout.write(`\n${p}`);
    process.stdout.write(`\nwrote ${opts.out}\n`);
  } catch (err) {
    log(`\nbench FAILED: ${err instanceof Error ? err.message : String(err)}`);
    await b.tearDown().catch((e) => log(`cleanup: ${e.message}`));
    process.exitCode = 1;
  }
}

await main();
