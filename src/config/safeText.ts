// Make text taken from a config file, machine.txt or the command line safe to put in a one-line message.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with control, C1, line-separator and bidi-override characters replaced by visible `\xHH`/`\uHHHH` escapes. */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `s` in double quotes, made safe by `safeText` (inner quotes and backslashes escaped). */
export function quoted(s: string): string {
  return `"${safeText(s.replace(/["\\]/g, (ch) => `\\${ch}`))}"`;
}
