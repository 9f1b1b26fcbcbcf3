// Shell lines writing files of a machine's set folder (its base: state/machineBase.ts) from the
// script itself, so that they travel in a script the apply sends anyway (the lock's release).
/** A file to write in the set's folder: its name (`head` or `base-ID`) and its bytes. */
export interface SetFile {
  readonly name: string;
  readonly bytes: Buffer;
}

/** How each byte is written in a printf format: printable ASCII as itself but for ' % and \, the rest as \NNN. */
const FORMAT_OF = Array.from({ length: 256 }, (_, b) =>
  b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x25 && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`,
);

/** Bytes per printf command (a shell word of at most four times as many characters). */
const PRINTF_BYTES = 1 << 16;

/** printf commands joined by && writing `bytes` exactly; each format single-quoted and plain ASCII. */
export function buildPrintfCommands(bytes: Uint8Array): string {
  const commands: string[] = [];
  for (let start = 0; start < bytes.length; start += PRINTF_BYTES) {
    const end = Math.min(bytes.length, start + PRINTF_BYTES);
    const parts: string[] = [];
    for (let i = start; i < end; i++) parts.push(FORMAT_OF[bytes[i]]);
    commands.push(`printf '${parts.join('')}'`);
  }
  return commands.length === 0 ? ':' : commands.join(' && ');
}

/**
 * Shell lines writing `files` into "$d" (the set's folder, from the root; made when missing):
 * each into a temp file beside it, their sizes checked (one wc), then renamed over their names (a
 * folder there is never moved into) in
 * the order given (a head last: a reader meets the old files or the new ones, whole). Sets `w`
 * to 1 when all were written, else 0, leaving no temp file (and whatever was renamed already: a
 * body no head names is removed by a later scan once old).
 */
export function buildWriteSetFilesLines(files: readonly SetFile[]): string[] {
  for (const f of files) if (!/^(head|base-[0-9a-z-]{1,64})$/.test(f.name)) throw new Error(`not a set file name: ${f.name}`);
  if (files.length === 0) return ['w=1'];
  const temp = (f: SetFile) => `"$d/.${f.name}.$$"`;
  const temps = files.map(temp).join(' ');
  // wc -c a b prints "N a", "N b" (and a total): the sizes are every other word from the first.
  const sizes = files.map((f, i) => `[ "\${${i * 2 + 1}}" = ${f.bytes.length} ]`).join(' && ');
  return [
    `w=0; if { [ -d "$d" ] || mkdir -p -- "$d"; } &&`,
    ...files.map((f) => `{ ${buildPrintfCommands(f.bytes)}; } >${temp(f)} &&`),
    `set -- $(wc -c -- ${temps} 2>/dev/null) && ${sizes} && ${files.map((f) => `[ ! -d "$d/${f.name}" ]`).join(' && ')} &&`,
    `${files.map((f) => `mv -f -- ${temp(f)} "$d/${f.name}"`).join(' && ')}`,
    `then w=1; else rm -f -- ${temps} 2>/dev/null; fi; set --`,
  ];
}
