// The blat.yaml JSON Schema's place, and its validator (compiled ahead of time by ajv: see
// scripts/configValidator.mjs, which a test keeps in step with the schema).
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { validate } from './configValidator.generated.js';

/** Absolute path of schemas/blat.schema.json (the same relative URL works from src/config/ and dist/config/). */
export const CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../../schemas/blat.schema.json', import.meta.url));

/** The validator for blat.yaml (allErrors, verbose: every problem, with parentSchema for "did you mean"). */
export const validateConfig = validate as unknown as ValidateFunction;
