import { describe, expect, it } from 'vitest';
import { decodeFsText, encodeFsText, splitFsFields } from '../src/fsText.js';

/** A deterministic stream of pseudo-random bytes. */
function bytes(seed: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('decodeFsText / encodeFsText', () => {
  it('decodes valid UTF-8 as usual, a literal U+FFFD included', () => {
    for (const s of ['plain.txt', 'café/日本/😀 x', 'already \uFFFD there', '']) {
      expect(decodeFsText(Buffer.from(s))).toBe(s);
      expect(encodeFsText(s).equals(Buffer.from(s))).toBe(true);
    }
  });

  it('gives each byte outside UTF-8 as U+DC00 + byte, so different names stay different', () => {
    expect(decodeFsText(Buffer.from([0x61, 0xe9, 0x2e]))).toBe('a\udce9.');
    expect(decodeFsText(Buffer.from([0x61, 0xe8, 0x2e]))).toBe('a\udce8.');
    // overlong "/", an encoded surrogate, past U+10FFFF, a cut sequence: every byte escaped
    expect(decodeFsText(Buffer.from([0xc0, 0xaf]))).toBe('\udcc0\udcaf');
    expect(decodeFsText(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    expect(decodeFsText(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe('\udcf4\udc90\udc80\udc80');
    expect(decodeFsText(Buffer.from([0x78, 0xe6, 0x97]))).toBe('x\udce6\udc97');
    // a valid sequence next to an invalid byte survives
    expect(decodeFsText(Buffer.from([0xff, ...Buffer.from('é'), 0xfe]))).toBe('\udcffé\udcfe');
  });

  it('round-trips any bytes exactly, and reads a range of a buffer', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const b = bytes(seed, 1 + (seed % 40));
      expect(encodeFsText(decodeFsText(b)).equals(b)).toBe(true);
    }
    const buf = Buffer.concat([Buffer.from('xx'), Buffer.from([0x80]), Buffer.from('yy')]);
    expect(decodeFsText(buf, 1, 4)).toBe('x\udc80y');
  });

  it('splits NUL-separated fields and decodes each', () => {
    expect(splitFsFields(Buffer.from([0x61, 0, 0xe9, 0, 0x62]))).toEqual(['a', '\udce9', 'b']);
    expect(splitFsFields(Buffer.from('ok\0./x\0'))).toEqual(['ok', './x', '']);
  });
});
