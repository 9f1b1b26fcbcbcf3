import { describe, expect, it } from 'vitest';
import { describeSince } from '../../src/apply/machineLocks.js';

describe('describeSince', () => {
  const now = Date.parse('2026-11-27T15:00:00Z');
  it('is the UTC time of a lock taken today, with its date when taken another day', () => {
    expect(describeSince('2026-11-27T13:02:11.000Z', now)).toBe('13:02:11 UTC');
    expect(describeSince('2026-11-26T23:59:59.999Z', now)).toBe('2026-11-26 23:59:59 UTC');
  });
  it('is nothing for an owner line without a time, or with something else in its place', () => {
    expect(describeSince(undefined, now)).toBeUndefined();
    expect(describeSince('yesterday', now)).toBeUndefined();
    expect(describeSince('1700000000', now)).toBeUndefined();
  });
});
