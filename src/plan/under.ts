// Segment-wise "lies under" test for many sync paths at once (same meaning as isUnder in src/config/paths.ts).

/**
 * A predicate telling whether a path equals or lies below any of `parents`, segment-wise ("a/b" is
 * under "a", "ab" is not); costs one set lookup per segment of the path, however many parents there are.
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
