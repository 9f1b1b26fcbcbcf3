// Segment-wise "lies under" tests for sync paths (equal or a descendant).

/** True when `path` equals `parent` or lies below it, comparing whole segments ("a/b" is under "a", "ab" is not). */
export function isUnder(path: string, parent: string): boolean {
  return path === parent || (path.length > parent.length && path.charCodeAt(parent.length) === 47 && path.startsWith(parent));
}

/**
 * A predicate telling whether a path lies under any of `parents`; costs one set lookup
 * per segment of the path, however many parents there are.
 */
export function buildUnderTest(parents: readonly string[]): (path: string) => boolean {
  const set = new Set(parents);
  return (path: string): boolean => {
    if (set.has(path)) return true;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
      if (set.has(path.slice(0, i))) return true;
    }
    return false;
  };
}
