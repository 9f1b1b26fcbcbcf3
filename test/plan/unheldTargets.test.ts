import { describe, expect, it } from 'vitest';
import { findUnheldTargets } from '../../src/plan/unheldTargets.js';
import { baseOf, dir, f, snap } from './builder.js';

describe('findUnheldTargets', () => {
  const paths = ['docs/a.txt', 'docs/sub', 'docs/none'];
  it('names the targets no machine holds, nor anything under, and the base does not know', () => {
    const s = snap({ self: 'a', paths, machines: { a: { 'docs/a.txt': f(100) }, b: { 'docs/sub': dir(), 'docs/sub/x': f(100) } } });
    expect(findUnheldTargets(paths, s, baseOf({}))).toEqual({ missing: ['docs/none'], unknown: [] });
  });
  it('a target only under which something is held, or that only the base knows, is not missing', () => {
    const s = snap({ self: 'a', paths, machines: { a: { 'docs/sub/deep/x': f(100) }, b: {} } });
    expect(findUnheldTargets(paths, s, baseOf({ b: { 'docs/a.txt': f(100) } }))).toEqual({ missing: ['docs/none'], unknown: [] });
    expect(findUnheldTargets(paths, s, baseOf({ b: { 'docs/none/y': f(100) } }))).toEqual({ missing: ['docs/a.txt'], unknown: [] });
  });
  it('a path that merely starts like a target does not count as under it', () => {
    const s = snap({ self: 'a', paths: ['docs/no'], machines: { a: { 'docs/none': f(100) } } });
    expect(findUnheldTargets(['docs/no'], s, null)).toEqual({ missing: ['docs/no'], unknown: [] });
  });
  it('cannot tell when a machine is offline, or a folder above could not be read', () => {
    const off = snap({ self: 'a', paths, machines: { a: { 'docs/a.txt': f(100), 'docs/sub': dir() }, b: 'offline' } });
    expect(findUnheldTargets(paths, off, baseOf({}))).toEqual({ missing: [], unknown: ['docs/none'] });
    const unreadable = snap({ self: 'a', paths: ['docs/none'], machines: { a: {}, b: {} }, unreadable: { b: ['docs'] } });
    expect(findUnheldTargets(['docs/none'], unreadable, baseOf({}))).toEqual({ missing: [], unknown: ['docs/none'] });
  });
  it('says nothing of a partial snapshot that left paths out', () => {
    const s = { ...snap({ self: 'a', paths: ['docs/none'], machines: { a: {}, b: {} } }), partial: { alike: 3, files: new Map() } };
    expect(findUnheldTargets(['docs/none'], s, baseOf({}))).toEqual({ missing: [], unknown: [] });
  });
});
