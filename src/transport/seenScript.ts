// The script that writes a machine's seen line (state/seenLine.ts), for `/bin/sh -s`.
import { quoteShell } from './shellQuote.js';

/**
 * Writes `line` to SETDIR/NAME under the machine's root: into a temp file beside it, then renamed
 * over it, so a scan reads the old line or the new one, whole. The set's folder is made when
 * missing. Output `ok`, else nothing; exit 3: root missing.
 */
export function buildWriteSeenScript(root: string, setDir: string, name: string, line: string): string {
  return [`cd -- ${quoteShell(root)} || exit 3`, `d=${quoteShell(setDir)}`, buildWriteSeenLine(name, line), ''].join('\n');
}

/** The shell line writing `line` to "$d"/NAME (d: the set's folder, from the root), as buildWriteSeenScript does; prints `ok`. */
export function buildWriteSeenLine(name: string, line: string): string {
  if (!/^seen-[0-9a-f]{12}$/.test(name)) throw new Error('not a seen file name');
  return `t="$d/.${name}.$$"; { [ -d "$d" ] || mkdir -p -- "$d"; } && printf '%s' ${quoteShell(line)} >"$t" && mv -f -- "$t" "$d/${name}" && echo ok || rm -f -- "$t"`;
}
