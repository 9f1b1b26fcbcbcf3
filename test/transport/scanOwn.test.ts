// The scan never lists blat's own folders (config.ownPaths), matched from the root, in both forms of the script.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScanParser } from '../../src/snapshot/parseScan.js';
import { buildPruneExpression, buildScanScript } from '../../src/transport/scanScript.js';

const root = mkdtempSync(join(tmpdir(), 'blat-scan-own-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
for (const path of ['docs/a', 'docs/.state/journal', 'docs/x[1]/.state/base', 'docs/x[1]/b', 'docs/sub/.state/user', '.blat-tmp/.a.XXXXXX']) {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), 'x');
}
const own = ['.blat-tmp', 'docs/.state', 'docs/x[1]/.state'];

describe('buildPruneExpression with own paths', () => {
  it('matches them exactly from the root, glob characters escaped', () => {
    expect(buildPruneExpression(['*.o'], own)).toBe(
      "\\( -name '*.o' -o -path './.blat-tmp' -o -path './docs/.state' -o -path './docs/x\\[1\\]/.state' \\) -prune -o",
    );
  });
});

describe.each([['linux' as const], ['darwin' as const]])('buildScanScript with own paths, %s', (os) => {
  it('lists none of them nor what is under them, and a user folder of the same name elsewhere as usual', () => {
    const out = execFileSync('/bin/sh', ['-s'], { input: buildScanScript({ root, paths: ['docs', '.blat-tmp'], mode: 'tree', exclude: [], own, os }) });
    const parser = new ScanParser();
    parser.push(out);
    expect([...parser.finish().entries.keys()].sort()).toEqual(['docs', 'docs/a', 'docs/sub', 'docs/sub/.state', 'docs/sub/.state/user', 'docs/x[1]', 'docs/x[1]/b']);
  });
});
