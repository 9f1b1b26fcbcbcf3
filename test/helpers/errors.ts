// Catching the error a synchronous call is expected to throw, with its class checked.
import { expect } from 'vitest';

/** The error `fn` throws, asserted to be an instance of `type`; fails the test when it throws nothing. */
export function caught<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}`);
}
