// Shell lines writing files of a machine's set folder (its base: state/machineBase.ts) from the
// script itself, so that they travel in a script the apply sends anyway (the lock's release).
/** A file to write in the set's folder: its name (`head` or `base-ID`) and its bytes. */
export interface SetFile {
  readonly name: string;
  readonly bytes: Buffer;
}

/** Whether a byte is written in a printf format as itself: printable ASCII but for ' % and \ (the rest is \NNN). */
const PLAIN = Uint8Array.from({ length: 256 }, (_, b) => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x25 && b !== 0x5c ? 1 : 0));

/** Bytes per printf command (a shell word of at most four times as many characters). */
const PRINTF_BYTES = 1 << 16;

/** printf commands writing `bytes` exactly, each of at most PRINTF_BYTES; each format single-quoted and plain ASCII. */
export function buildPrintfCommands(bytes: Uint8Array): string[] {
  const commands: string[] = [];
  const out = new Uint8Array(PRINTF_BYTES * 4);
  for (let start = 0; start < bytes.length; start += PRINTF_BYTES) {
    const end = Math.min(bytes.length, start + PRINTF_BYTES);
    let n = 0;
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      // A format starting with "-" would be taken for an option: that one is escaped too.
      if (PLAIN[b] === 1 && !(b === 0x2d && i === start)) out[n++] = b;
      else {
        out[n++] = 0x5c;
        out[n++] = 0x30 + (b >> 6);
        out[n++] = 0x30 + ((b >> 3) & 7);
        out[n++] = 0x30 + (b & 7);
      }
    }
    commands.push(`printf '${Buffer.from(out.buffer, 0, n).toString('latin1')}'`);
  }
  return commands;
}

/**
 * Shell lines writing `files` into "$d" (the set's folder, from the root; made when missing):
 * each into a temp file beside it, their sizes checked (one wc), then renamed over their names (a
 * folder there is never moved into) in the order given (a head last: a reader meets the old files
 * or the new ones, whole). Sets `w` to 1 when all were written, else 0, leaving no temp file (and
 * whatever was renamed already: a body no head names is removed by a later scan once old).
 * Each printf is a line of its own, run as it arrives, and followed by a `.` line: a long base on
 * a slow link keeps saying it is alive (no stall), and the shell never holds more than a line.
 */
export function buildWriteSetFilesLines(files: readonly SetFile[]): string[] {
  for (const f of files) if (!/^(head|base-[0-9a-z-]{1,64})$/.test(f.name)) throw new Error(`not a set file name: ${f.name}`);
  if (files.length === 0) return ['w=1'];
  const temp = (f: SetFile) => `"$d/.${f.name}.$$"`;
  const temps = files.map(temp).join(' ');
  // wc -c a b prints "N a", "N b" (and a total): the sizes are every other word from the first.
  const sizes = files.map((f, i) => `[ "\${${i * 2 + 1}}" = ${f.bytes.length} ]`).join(' && ');
  return [
    `w=1; { [ -d "$d" ] || mkdir -p -- "$d"; } || w=0`,
    ...files.flatMap((f) => [`[ $w = 0 ] || : >${temp(f)} || w=0`, ...buildPrintfCommands(f.bytes).map((p) => `[ $w = 0 ] || ${p} >>${temp(f)} || w=0; echo .`)]),
    `[ $w = 0 ] || { set -- $(wc -c -- ${temps} 2>/dev/null) && ${sizes} && ${files.map((f) => `[ ! -d "$d/${f.name}" ]`).join(' && ')} &&`,
    `  ${files.map((f) => `mv -f -- ${temp(f)} "$d/${f.name}"`).join(' && ')}; } || w=0`,
    `[ $w = 1 ] || rm -f -- ${temps} 2>/dev/null; set --`,
  ];
}
