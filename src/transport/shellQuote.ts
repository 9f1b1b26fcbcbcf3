// POSIX shell quoting. Every word blat puts into a script is passed through here.

/** The word quoted for a POSIX shell: single quotes, with embedded `'` written as `'\''`. */
export function quoteShell(word: string): string {
  if (word.includes('\0')) throw new Error('cannot quote a string containing NUL');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
