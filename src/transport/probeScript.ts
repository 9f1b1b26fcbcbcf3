import { quoteShell } from './shellQuote.js';

// The script that probes what a machine's root filesystem does with names, times and modes, run
// once per root (see snapshot/probeRoot.ts). It works in a fresh folder under ROOT/.blat-tmp,
// removes it, and removes .blat-tmp too when it made it.
//
// Output, NUL-separated: blat-probe-1, then "noroot" | "unwritable" | "root", then for "root":
//   case=1|0        a file made as probe-a is found as PROBE-A
//   norm=1|0|-      a file made with an NFC name (café) is found by its NFD name; "-" refused
//   mtime=SECONDS   the mtime read back after setting PROBE_MTIME (empty: could not be set or read)
//   chmod=1|0       chmod 600 then 640 both took (ls -l shows -rw-r-----)
//   fmode=MODE      `ls -ld` mode string of a new file and (dmode=) of a new folder, as the filesystem shows them
//   dmode=MODE
//   symlink=1|0     a symlink can be made there (exFAT and FAT hold none: ln -s fails with ENOSYS or EPERM)
//   badchars=CHARS  the characters of :?*"<>|\ a name could not hold there (exFAT: all)
//   ctlname=1|0     a name with a control character (\001) was refused (exFAT)
//   utf8only=1|0    a name with a byte that is not UTF-8 (\377) was refused (exFAT, NTFS)
//   (a name with é refused is norm=-: fusefat)
//   rename=1|0      a file renamed keeps its mtime (looked at on FUSE filesystems only, after
//                   the kernel's 1 s attribute cache: fusefat gives a renamed file the time of the
//                   rename); absent elsewhere
// then "end".

export const PROBE_MAGIC = 'blat-probe-1';
/** The mtime the probe sets (an odd second and nanoseconds: both halves of the answer tell). */
export const PROBE_MTIME = '1700000001.123456789';

/** The probe script for a machine whose root is `root`, to be run by `/bin/sh -s`. */
export function buildProbeScript(root: string): string {
  const lines = [
    'LC_ALL=C; export LC_ALL',
    `printf '%s\\0' ${PROBE_MAGIC}`,
    `cd -- ${quoteShell(root)} 2>/dev/null || { printf 'noroot\\0end\\0'; exit 0; }`,
    'made=0; [ -d .blat-tmp ] || { mkdir .blat-tmp 2>/dev/null && made=1; }',
    `d=$(mktemp -d .blat-tmp/probe.XXXXXX 2>/dev/null) || { printf 'unwritable\\0end\\0'; exit 0; }`,
    `trap 'rm -rf -- "$d"; [ $made = 1 ] && rmdir .blat-tmp 2>/dev/null' EXIT`,
    `printf 'root\\0'`,
    `: >"$d/probe-a" && if [ -e "$d/PROBE-A" ]; then printf 'case=1\\0'; else printf 'case=0\\0'; fi`,
    `nfc=$(printf 'caf\\303\\251'); nfd=$(printf 'cafe\\314\\201')`,
    `if (: >"$d/$nfc") 2>/dev/null; then if [ -e "$d/$nfd" ]; then printf 'norm=1\\0'; else printf 'norm=0\\0'; fi; else printf 'norm=-\\0'; fi`,
    `f="$d/probe-t"; : >"$f"`,
    `if touch -d @${PROBE_MTIME} "$f" 2>/dev/null; then t=$(find "$f" -maxdepth 0 -printf '%T@' 2>/dev/null); else t=; fi`,
    `[ -n "$t" ] || t=$(perl -MTime::HiRes=utime,lstat -e 'utime(${PROBE_MTIME}, ${PROBE_MTIME}, $ARGV[0]) or exit 1; my @s = lstat($ARGV[0]) or exit 1; printf "%.9f", $s[9]' "$f" 2>/dev/null) || t=`,
    `printf 'mtime=%s\\0' "$t"`,
    // m: the first 10 characters of `ls -ld`'s line for $1 (its mode string, without an ACL or context mark).
    `mode10() { m=$(ls -ld -- "$1" 2>/dev/null) || m=; m=\${m%% *}; r=\${m#??????????}; m=\${m%"$r"}; }`,
    `g="$d/probe-m"; : >"$g"; mkdir "$d/probe-d"`,
    `mode10 "$g"; fm=$m; mode10 "$d/probe-d"; printf 'fmode=%s\\0dmode=%s\\0' "$fm" "$m"`,
    `if chmod 600 "$g" 2>/dev/null && chmod 640 "$g" 2>/dev/null && mode10 "$g" && [ "$m" = -rw-r----- ]; then printf 'chmod=1\\0'; else printf 'chmod=0\\0'; fi`,
    `if ln -s probe-t "$d/probe-l" 2>/dev/null && [ -L "$d/probe-l" ]; then printf 'symlink=1\\0'; else printf 'symlink=0\\0'; fi`,
    `b=; for c in : '?' '*' '"' '<' '>' '|' '\\'; do (: >"$d/n\${c}n") 2>/dev/null || b="$b$c"; done; printf 'badchars=%s\\0' "$b"`,
    `if (: >"$d/$(printf 'c\\001c')") 2>/dev/null; then printf 'ctlname=0\\0'; else printf 'ctlname=1\\0'; fi`,
    `if (: >"$d/$(printf 'u\\377u')") 2>/dev/null; then printf 'utf8only=0\\0'; else printf 'utf8only=1\\0'; fi`,
    // Last: it may wait out the attribute cache.
    `case $(stat -f -c %T . 2>/dev/null) in fuse*)`,
    `r="$d/probe-r"; : >"$r"; touch -d @1700000000 "$r" 2>/dev/null && mv "$r" "$r.2" && { sleep 1.2 2>/dev/null || sleep 2; }`,
    `if [ "$(find "$r.2" -maxdepth 0 -printf '%T@' 2>/dev/null | cut -d. -f1)" = 1700000000 ]; then printf 'rename=1\\0'; else printf 'rename=0\\0'; fi;;`,
    'esac',
    `printf 'end\\0'`,
    '',
  ];
  return lines.join('\n');
}
