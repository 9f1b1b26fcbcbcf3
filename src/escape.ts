// Make untrusted text (file names, link targets, reasons, machine names) safe to print.
// The one escaper of the project: config errors, renderers and the CLI's catch all use it.
//
// Characters replaced by a visible escape:
// - C0 controls U+0000–U+001F: `\n`, `\t`, `\r`, others `\xHH` (so ESC is `\x1b`);
// - DEL U+007F and C1 controls U+0080–U+009F: `\xHH`;
// - bidi embeddings/overrides U+202A–U+202E and isolates U+2066–U+2069, the
//   line/paragraph separators U+2028–U+2029, and lone surrogates (a byte of a file
//   name that is not UTF-8, see fsText.ts, is U+DC80–U+DCFF): `\uHHHH` (lower-case hex).
//
// Backslash policy: a literal backslash is kept as is (so `a\b` prints as
// `a\b`) and doubled only when it is immediately followed by something that
// would otherwise read as an escape: another backslash, one of the letters
// `n t r x u`, or a character that is itself escaped. Reading the output back
// with the rules `\\`→`\`, `\n` `\t` `\r` `\xHH` `\uHHHH`→their character, and any
// other backslash literal, gives the original string; two different inputs
// never print the same.

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** True when the code unit must not reach a terminal raw. */
function isUnsafe(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x2028 && code <= 0x2029) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** True when the code unit at `i` is a surrogate without its other half. */
function isLoneSurrogate(s: string, i: number): boolean {
  const code = s.charCodeAt(i);
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = s.charCodeAt(i + 1); // NaN past the end
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const prev = i > 0 ? s.charCodeAt(i - 1) : NaN;
    return !(prev >= 0xd800 && prev <= 0xdbff);
  }
  return false;
}

/** True when the code unit at `i` must not reach a terminal raw. */
function isUnsafeAt(s: string, i: number): boolean {
  return isUnsafe(s.charCodeAt(i)) || isLoneSurrogate(s, i);
}

/** The visible escape for one unsafe character. */
function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** True when a backslash placed before `next` would read as the start of an escape. */
function needsDoubling(next: string | undefined): boolean {
  if (next === undefined) return false;
  return next === '\\' || next === 'n' || next === 't' || next === 'r' || next === 'x' || next === 'u' || isUnsafe(next.charCodeAt(0));
}

/** `s` with every control, C1 and bidi-override character replaced by a visible, unambiguous escape. */
export function sanitizeForTerminal(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') out += needsDoubling(s[i + 1]) || (i + 1 < s.length && isLoneSurrogate(s, i + 1)) ? '\\\\' : '\\';
    else if (isUnsafeAt(s, i)) out += escapeChar(ch);
    else out += ch;
  }
  return out;
}

/**
 * `s` with every control, C1 and bidi-override character replaced by its visible escape, and
 * backslashes left alone: for one-line messages that already quote names (config errors), so
 * that escaping the message again (the CLI's catch does) changes nothing.
 */
export function escapeControls(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    out += isUnsafeAt(s, i) ? escapeChar(s[i]) : s[i];
  }
  return out;
}
