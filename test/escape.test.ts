import { describe, it, expect } from 'vitest';
import { sanitizeForTerminal } from '../src/escape.js';

/** Reads sanitised text back with the documented rules (test-only inverse). */
function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 >= s.length) {
      out += s[i];
      continue;
    }
    const next = s[i + 1];
    if (next === '\\') { out += '\\'; i++; }
    else if (next === 'n') { out += '\n'; i++; }
    else if (next === 't') { out += '\t'; i++; }
    else if (next === 'r') { out += '\r'; i++; }
    else if (next === 'x') { out += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16)); i += 3; }
    else if (next === 'u') { out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16)); i += 5; }
    else out += '\\';
  }
  return out;
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /(?<![\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/;

describe('sanitizeForTerminal', () => {
  it('leaves ordinary text alone, including unicode, quotes, $() and leading dashes', () => {
    for (const s of ['docs/report.txt', 'héllo wörld 日本', `it's "quoted"`, '$(rm -rf ~)', '-rf', 'a b']) {
      expect(sanitizeForTerminal(s)).toBe(s);
    }
  });

  it('writes newline, tab and carriage return as \\n \\t \\r', () => {
    expect(sanitizeForTerminal('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
  });

  it('writes other C0 controls, DEL and C1 controls as \\xHH', () => {
    expect(sanitizeForTerminal('\u001b[2J')).toBe('\\x1b[2J');
    expect(sanitizeForTerminal('\u0000\u0007\u007f\u0085\u009b')).toBe('\\x00\\x07\\x7f\\x85\\x9b');
  });

  it('writes bidi overrides and isolates as \\uHHHH', () => {
    expect(sanitizeForTerminal('abc\u202etxt.exe')).toBe('abc\\u202etxt.exe');
    expect(sanitizeForTerminal('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe(
      '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069',
    );
  });

  it('writes a lone surrogate (a byte of a name that is not UTF-8) as \\uHHHH, and keeps a pair', () => {
    expect(sanitizeForTerminal('caf\udce9.txt')).toBe('caf\\udce9.txt');
    expect(sanitizeForTerminal('\ud83d\ude00 \ud83d.\ude00')).toBe('\ud83d\ude00 \\ud83d.\\ude00');
    expect(sanitizeForTerminal('a\\\udce9')).toBe('a\\\\\\udce9'); // the backslash before an escape is doubled
  });

  it('keeps a lone backslash and doubles it only before something that would read as an escape', () => {
    expect(sanitizeForTerminal('C:\\Users\\me')).toBe('C:\\Users\\me');
    expect(sanitizeForTerminal('end\\')).toBe('end\\');
    expect(sanitizeForTerminal('a\\nb')).toBe('a\\\\nb'); // literal backslash-n, not a newline
    expect(sanitizeForTerminal('a\\\nb')).toBe('a\\\\\\nb'); // backslash then a real newline
    expect(sanitizeForTerminal('\\\\')).toBe('\\\\\\');
    expect(sanitizeForTerminal('a\\x1b')).toBe('a\\\\x1b');
  });

  it('never lets an unsafe character through and is reversible (so two names never print the same)', () => {
    const alphabet = ['\\', 'n', 't', 'r', 'x', 'u', '1', 'b', 'a', '\n', '\t', '\u001b', '\u202e', '\u0085', '\u007f', '\u2066', '/', '\udce9', '\ud83d', '\ude00'];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const seen = new Map<string, string>();
    for (let k = 0; k < 3000; k++) {
      let s = '';
      const len = rand(8);
      for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
      const out = sanitizeForTerminal(s);
      expect(out).not.toMatch(UNSAFE);
      expect(out).not.toMatch(LONE_SURROGATE);
      expect(unescape(out)).toBe(s);
      const prior = seen.get(out);
      if (prior !== undefined) expect(prior).toBe(s);
      seen.set(out, s);
    }
  });
});
