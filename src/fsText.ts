// File names and link targets are bytes; blat holds them as strings. Valid UTF-8 decodes as
// usual. A byte that is not part of valid UTF-8 becomes the lone surrogate U+DC80–U+DCFF
// (U+DC00 + the byte, as Python's "surrogateescape"): no valid name decodes to one, so two
// different names never become the same string, and encoding gives the exact bytes back.
// JSON keeps lone surrogates (as \udcXX escapes); the terminal shows them escaped (escape.ts).

const REPLACEMENT = '\uFFFD';
const LONE_OR_PAIRED_SURROGATE = /[\uD800-\uDFFF]/;

/** The string of buf[start, end): UTF-8, with each byte outside valid UTF-8 as U+DC00 + byte. */
export function decodeFsText(buf: Buffer, start = 0, end = buf.length): string {
  const text = buf.toString('utf8', start, end);
  // U+FFFD appears for every invalid byte (and for a name that really holds U+FFFD): only then decode by hand.
  return text.includes(REPLACEMENT) ? decodeEscaping(buf, start, end) : text;
}

/** The bytes decodeFsText decoded `text` from (plain UTF-8 when it holds no lone surrogate). */
export function encodeFsText(text: string): Buffer {
  if (!LONE_OR_PAIRED_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a pair: UTF-8 as usual
        continue;
      }
    }
    if (code >= 0xdc80 && code <= 0xdcff) {
      parts.push(Buffer.from(text.slice(from, i), 'utf8'), Buffer.from([code - 0xdc00]));
      from = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

/** Length of the valid UTF-8 sequence at buf[i] (before `end`), or 0 when the byte does not start one. */
function sequenceLength(buf: Buffer, i: number, end: number): number {
  const b = buf[i];
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < end && buf[i + k] >= lo && buf[i + k] <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0; // no overlong forms
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no encoded surrogates
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0; // up to U+10FFFF
  return 0;
}

function decodeEscaping(buf: Buffer, start: number, end: number): string {
  let out = '';
  let run = start; // start of the valid bytes not yet decoded
  let i = start;
  while (i < end) {
    const n = sequenceLength(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', run, i) + String.fromCharCode(0xdc00 + buf[i]);
    i++;
    run = i;
  }
  return out + buf.toString('utf8', run, end);
}

/** The NUL-separated fields of `buf`, each decoded by decodeFsText (the last holds what follows the last NUL). */
export function splitFsFields(buf: Buffer): string[] {
  const fields: string[] = [];
  let start = 0;
  for (let nul = buf.indexOf(0); nul !== -1; nul = buf.indexOf(0, start)) {
    fields.push(decodeFsText(buf, start, nul));
    start = nul + 1;
  }
  fields.push(decodeFsText(buf, start));
  return fields;
}
