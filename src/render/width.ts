// Display width of terminal text and shortening in the middle, for views that fit a terminal. Pure.

/** `s` without ANSI colour codes. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

/** Columns one code point takes on a terminal: 0 (combining, zero-width), 2 (East Asian wide, emoji) or 1. */
function codePointWidth(cp: number): number {
  if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfeff || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Columns `text` (already escaped, no control characters) takes on a terminal, ANSI colour codes aside. */
export function displayWidth(text: string): number {
  let n = 0;
  for (const ch of stripAnsi(text)) n += codePointWidth(ch.codePointAt(0) as number);
  return n;
}

/**
 * `text` in at most `width` columns: unchanged when it fits, else its head and tail around `…`
 * (`docs/very/lo…/file.txt`), the tail kept a little longer (it names the file). Colour codes are
 * dropped from a text that is shortened. Escape first, then shorten: an escape may be cut, never a
 * raw control character let through.
 */
export function shortenMiddle(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const chars = [...stripAnsi(text)];
  if (width <= 1) return width === 1 ? '…' : '';
  const room = width - 1;
  const headRoom = Math.floor(room * 0.4);
  let head = '';
  let used = 0;
  for (const ch of chars) {
    const w = codePointWidth(ch.codePointAt(0) as number);
    if (used + w > headRoom) break;
    head += ch;
    used += w;
  }
  let tail = '';
  let tailUsed = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = codePointWidth(chars[i].codePointAt(0) as number);
    if (used + tailUsed + w > room) break;
    tail = chars[i] + tail;
    tailUsed += w;
  }
  return `${head}…${tail}`;
}

/** Every line of `block` in at most `width` columns (a longer line is shortened in the middle). */
export function fitLines(block: string, width: number): string {
  return block
    .split('\n')
    .map((line) => shortenMiddle(line, width))
    .join('\n');
}

/**
 * `text` (escaped, no colour) wrapped at spaces into lines of at most `width` columns, each
 * starting with `indent` (the first) or `indent` and two more spaces (the rest); a word longer
 * than a line is shortened in the middle. For prose; table rows are never wrapped.
 */
export function wrapProse(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  const prefix = (): string => (lines.length === 0 ? indent : `${indent}  `);
  for (const word of text.split(' ')) {
    if (line !== '' && displayWidth(`${prefix()}${line} ${word}`) > width) {
      lines.push(prefix() + line);
      line = '';
    }
    const room = width - displayWidth(prefix()) - (line === '' ? 0 : displayWidth(line) + 1);
    const fitted = shortenMiddle(word, Math.max(1, room));
    line = line === '' ? fitted : `${line} ${fitted}`;
  }
  lines.push(prefix() + line);
  return lines.join('\n');
}
