// Bundles the CLI into one file, dist/bin/blat.js: loading one module instead of a few hundred
// (execa, ajv, yaml, commander, cli-table3 and ours) saves about 0.1 s on every run.
// dist/bin/ sits two levels below the package like dist/config/, so the schemas' relative
// URLs (../../schemas/*.json) resolve the same from the bundle.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/bin/blat.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS dependencies (cli-table3…) call require(): give the ES module one.
  banner: { js: "import { createRequire as blatCreateRequire } from 'node:module'; const require = blatCreateRequire(import.meta.url);" },
});
