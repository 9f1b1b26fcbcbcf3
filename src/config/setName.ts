// The name of a sync set: where each machine keeps its part of the base (ROOT/.blat/sets/NAME/).
import { createHash } from 'node:crypto';
import { compareStrings } from './paths.js';

/**
 * The derived name of the set of `paths` kept alike on the machines `names`: `set-` and 12 hex
 * digits of a sha256 over both, sorted. Two configs naming the same paths and machines (whatever
 * their self) derive the same name, so blat run on any of those machines finds the same bases.
 */
export function buildSetName(paths: readonly string[], names: readonly string[]): string {
  const text = JSON.stringify({ paths: [...paths].sort(compareStrings), machines: [...names].sort(compareStrings) });
  return `set-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/** The folder, relative to a machine's root, holding that machine's part of the base of set `name`. */
export function buildSetDir(name: string): string {
  return `.blat/sets/${name}`;
}
