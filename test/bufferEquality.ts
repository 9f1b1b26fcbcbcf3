// vitest setupFile: Buffers compare by their bytes (Buffer.equals) in toEqual, toStrictEqual,
// toMatchObject and toContainEqual. Vitest's own equality walks a Buffer element by element, at
// about 15 µs a byte here: a 1 MiB file took seconds to compare. Same verdicts, each a memcmp;
// a failure still prints vitest's diff. Anything but two Buffers is left to vitest.
import { expect } from 'vitest';

expect.addEqualityTesters([(a: unknown, b: unknown) => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined)]);
