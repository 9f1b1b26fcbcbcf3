import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types
import { buildValidatorSource, VALIDATORS } from '../../scripts/configValidator.mjs';

const validators = VALIDATORS as Record<string, { schema: string; file: string }>;

describe('the generated validators', () => {
  it.each(Object.keys(validators))('%s: is what scripts/configValidator.mjs makes from its schema (run it after editing the schema)', (name) => {
    expect(readFileSync(validators[name].file, 'utf8') === (buildValidatorSource as (n: string) => string)(name)).toBe(true);
  });
});
