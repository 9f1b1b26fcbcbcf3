// Find where a YAML path sits in a parsed document, as a 1-based line and column.
import { isAlias, isMap, isNode, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter } from 'yaml';
import type { YamlPathSegment } from './problem.js';

/** A 1-based position in the source text. */
export interface LineCol {
  readonly line: number;
  readonly col: number;
}

/** True when the node stands for an empty value (`key:` with nothing after it). */
function isEmptyScalar(node: unknown): boolean {
  return isScalar(node) && node.value === null && (!node.range || node.range[0] === node.range[1]);
}

/** Start offset of a node, or undefined when it has no source range. */
function startOf(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

/** The string form of a map key node, as `toJS` would make it. */
function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/**
 * The position of `path` in `doc`: the value's start, or the key's when `atKey` is set or the
 * value is empty; the deepest node reached when the path runs out; 1:1 for an empty document.
 */
export function locateYamlPath(doc: Document, counter: LineCounter, path: readonly YamlPathSegment[], atKey = false): LineCol {
  let node: unknown = doc.contents;
  let best = startOf(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyString(item.key) === String(segment));
      if (!pair) break;
      const keyStart = startOf(pair.key);
      if (last && (atKey || pair.value === null || isEmptyScalar(pair.value))) {
        best = keyStart ?? best;
        node = undefined;
        break;
      }
      best = startOf(pair.value) ?? keyStart ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      best = startOf(item) ?? best;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = counter.linePos(best);
  // line 0 means the counter saw no line start (an empty source).
  return line === 0 ? { line: 1, col: col + 1 } : { line, col };
}
