#!/usr/bin/env node
// The `blat` command: runs the bundled CLI (blat-bundle.cjs, beside this file once built) from
// V8's code cache when there is one (see codeCache.ts). Compiling the bundle, and then every
// function a run calls for the first time, costs node 20 (which has no
// module.enableCompileCache) tens of milliseconds per run. The cache is written once, at the
// exit of the first run that had none, when the run has compiled what it called. V8 refuses a
// cache that does not fit, which only means a run without one.
import Module, { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { findCodeCacheFile, readCodeCache, writeCodeCache } from './codeCache.js';

const bundle = join(dirname(fileURLToPath(import.meta.url)), 'blat-bundle.cjs');
const source = readFileSync(bundle, 'utf8');
const cacheFile = await findCodeCacheFile(source, process.argv.slice(2));
const cached = readCodeCache(cacheFile);
const script = new Script(Module.wrap(source), { filename: bundle, cachedData: cached ?? undefined });
if (cacheFile !== null && (cached === null || script.cachedDataRejected === true)) {
  process.once('exit', () => writeCodeCache(cacheFile, script.createCachedData()));
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
