import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types
import { buildConfigValidatorSource, GENERATED_FILE } from '../../scripts/configValidator.mjs';

describe('the generated blat.yaml validator', () => {
  it('is what scripts/configValidator.mjs makes from schemas/blat.schema.json (run it after editing the schema)', () => {
    expect(readFileSync(GENERATED_FILE as string, 'utf8') === (buildConfigValidatorSource as () => string)()).toBe(true);
  });
});
