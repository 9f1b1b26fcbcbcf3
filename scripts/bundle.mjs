// Bundles the CLI into one file, dist/bin/blat-bundle.cjs: loading one module instead of a few
// hundred (execa, yaml, commander, cli-table3 and ours) saves about 0.1 s on every run. The
// command itself, dist/bin/blat.js (src/launcher.ts), runs that bundle from V8's code cache: a
// script (CommonJS), since node 20 keeps no cache of ES modules.
// dist/bin/ sits two levels below the package like dist/config/, so the schemas' relative
// URLs (../../schemas/*.json) resolve the same from the bundle.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/bin/blat-bundle.cjs',
  format: 'cjs',
  sourcemap: true,
  // import.meta.url, which a script has not: the bundle's own URL.
  define: { 'import.meta.url': 'blatBundleUrl' },
  // Strict, as the ES modules it is made of (esbuild's own "use strict" comes after the banner).
  banner: { js: "'use strict'; const blatBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

await build({ ...common, entryPoints: ['src/launcher.ts'], outfile: 'dist/bin/blat.js', format: 'esm' });
