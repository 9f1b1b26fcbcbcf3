// Names a machine's filesystem refuses (probed: exFAT refuses `:` `?` `*` `"` `<` `>` `|` `\`,
// control characters and bytes that are not UTF-8; fusefat anything outside ASCII). A path the
// plan would write there under such a name is a conflict of that path instead, never attempted
// (rsync would fail on it at every apply); what lies under such a folder is left alone with it.
import type { RefusedNames } from '../types.js';

/** Why `name` (one path component) cannot be made under `rules`, in words; undefined when it can. */
export function findRefusedPart(name: string, rules: RefusedNames): string | undefined {
  if (rules.chars !== undefined) for (const c of name) if (rules.chars.includes(c)) return `'${c}'`;
  // eslint-disable-next-line no-control-regex
  if (rules.controls && /[\u0000-\u001f\u007f]/.test(name)) return 'a control character';
  if (rules.nonUtf8 && /[\udc80-\udcff]/.test(name)) return 'bytes that are not UTF-8';
  if (rules.nonAscii && /[^\u0000-\u007f]/.test(name)) return 'characters outside ASCII';
  return undefined;
}

/**
 * Whether `path` can be written under `rules` (pure): `{ what }` when its own name is refused,
 * 'under' when a folder above it has a refused name (that folder is the conflict), undefined when
 * every name of it can be made.
 */
export function findRefusedName(path: string, rules: RefusedNames): { readonly what: string } | 'under' | undefined {
  const parts = path.split('/');
  for (let i = 0; i < parts.length - 1; i++) if (findRefusedPart(parts[i], rules) !== undefined) return 'under';
  const what = findRefusedPart(parts[parts.length - 1], rules);
  return what === undefined ? undefined : { what };
}
