// JSON text in pieces: the same text as JSON.stringify, never one string for all of it.
import { describe, expect, it } from 'vitest';
import { renderJsonBytes, renderJsonChunks } from '../../src/render/jsonChunks.js';

const step = (i: number) => ({ action: 'push', path: `docs/d${i % 7}/f ${i}\n"q"\udc80`, from: 'here', to: 'm1', source: { type: 'file', size: i, mtime: `${i}.5` }, target: null, was: undefined });
const values: [string, unknown][] = [
  ['a plan-like document', { formatVersion: 1, self: 'here', targets: ['docs'], machines: [{ name: 'm1', status: 'online' }], steps: Array.from({ length: 1000 }, (_, i) => step(i)), deferred: [], conflicts: [{ path: 'x', versions: [] }], summary: {}, skipped: undefined }],
  ['an event holding one', { event: 'plan', plan: { steps: Array.from({ length: 300 }, (_, i) => step(i)), empty: [], none: {} } }],
  ['short and long arrays with what JSON has no word for', [1, undefined, () => 1, 'x', ...Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? undefined : { i, nested: [i, [i], {}] }))]],
  ['scalars', 'a "string"\n'],
  ['null', null],
  ['an empty object', {}],
  ['an empty array', []],
];

describe('renderJsonChunks', () => {
  it.each(values)('joins to what JSON.stringify writes, compact and indented: %s', (_what, value) => {
    for (const indent of [0, 2]) expect([...renderJsonChunks(value, indent)].join('')).toBe(JSON.stringify(value, null, indent));
  });

  it('hands out pieces of about a megabyte, never the whole', () => {
    const doc = { steps: Array.from({ length: 20_000 }, (_, i) => step(i)) };
    const chunks = [...renderJsonChunks(doc, 2)];
    const whole = JSON.stringify(doc, null, 2);
    expect(chunks.join('')).toBe(whole);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.length).toBeLessThan((1 << 20) + 1000);
  });

  it('renderJsonBytes: the UTF-8 of the text and a newline (lone surrogates escaped, as JSON.stringify writes them)', () => {
    const value = { steps: Array.from({ length: 300 }, (_, i) => step(i)), name: 'é\udc80' };
    expect(renderJsonBytes(value, 2).equals(Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8'))).toBe(true);
    expect(renderJsonBytes(value).toString('utf8')).toContain('\\udc80');
  });
});
