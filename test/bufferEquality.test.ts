// The Buffer equality of test/bufferEquality.ts tells every difference vitest's own did (how
// fast it is, no test says: it took a 1 MiB comparison in test/commands/stall.test.ts from
// 7.7 s to nothing).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

describe('Buffers in toEqual (test/bufferEquality.ts)', () => {
  const a = randomBytes(64 * 1024);

  it('are equal with the same bytes, alone or deep in maps and objects', () => {
    expect(a).toEqual(Buffer.from(a));
    expect(a).toStrictEqual(Buffer.from(a));
    expect(new Map([['p', { content: a }]])).toEqual(new Map([['p', { content: Buffer.from(a) }]]));
    expect({ content: a, mode: 0o644 }).toMatchObject({ content: Buffer.from(a) });
    expect([{ content: a }]).toContainEqual({ content: Buffer.from(a) });
    expect(Buffer.alloc(0)).toEqual(Buffer.alloc(0));
  });

  it('differ by one byte anywhere, by length, or from what is not a Buffer', () => {
    const small = Buffer.from('abcdef');
    for (const i of [0, 3, 5]) {
      const other = Buffer.from(small);
      other[i] ^= 1;
      expect(small).not.toEqual(other);
      expect({ content: small }).not.toStrictEqual({ content: other });
      expect(new Map([['p', small]])).not.toEqual(new Map([['p', other]]));
    }
    expect(small).not.toEqual(Buffer.from('abcde'));
    expect(small).not.toEqual(Buffer.from('abcdefg'));
    expect(Buffer.alloc(0)).not.toEqual(Buffer.from('a'));
    expect(small).not.toEqual('abcdef');
    expect(small).not.toStrictEqual(new Uint8Array(small));
  });
});
