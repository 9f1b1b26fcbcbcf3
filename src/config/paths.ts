// Sync-path arithmetic: normal form and segment-wise containment.

/** `p` in the normal form of a sync path (no leading `./`, no repeated or trailing `/`), or null when it is absolute, empty or has `.`/`..` segments. */
export function normaliseSyncPath(p: string): string | null {
  if (p.startsWith('/')) return null;
  const segments = p.split('/').filter((segment) => segment !== '');
  while (segments[0] === '.') segments.shift();
  if (segments.length === 0) return null;
  if (segments.some((segment) => segment === '.' || segment === '..')) return null;
  return segments.join('/');
}

/** True when `path` equals `parent` or lies inside it, segment-wise (`docs2` is not under `docs`). */
export function isUnder(path: string, parent: string): boolean {
  return path === parent || path.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

/** Code-unit order, the same on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Items in code-unit order of their `path` (compareStrings). */
export function byPath(a: { readonly path: string }, b: { readonly path: string }): number {
  return compareStrings(a.path, b.path);
}

/** `paths` sorted, de-duplicated, and with every path inside another one dropped in favour of its ancestor. */
export function collapseNested(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort(compareStrings);
  const out: string[] = [];
  for (const path of sorted) {
    // With code-unit order an ancestor sorts before its descendants, but `a-b` can sit between `a` and `a/c`.
    if (!out.some((kept) => isUnder(path, kept))) out.push(path);
  }
  return out;
}

/**
 * A predicate telling whether a path equals or lies below any of `parents`, segment-wise ("a/b" is
 * under "a", "ab" is not); costs one set lookup per segment of the path, however many parents there are.
 */
export function buildUnderTest(parents: readonly string[]): (path: string) => boolean {
  if (parents.length <= 4) {
    // The usual handful of sync paths: a prefix test each, no slicing (called for every entry of a base).
    const list = [...parents];
    return (path: string): boolean => {
      for (const p of list) {
        if (path.length === p.length ? path === p : path.length > p.length && path.charCodeAt(p.length) === 47 && path.startsWith(p)) return true;
      }
      return false;
    };
  }
  const set = new Set(parents);
  return (path: string): boolean => {
    if (set.has(path)) return true;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
      if (set.has(path.slice(0, i))) return true;
    }
    return false;
  };
}
