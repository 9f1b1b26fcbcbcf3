// The blat.yaml JSON Schema and its compiled validator, loaded once per process.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import type { ValidateFunction } from 'ajv';

// ajv is CommonJS: under Node's ESM the default import is the module object, whose `default` is the class.
const Ajv = AjvModule.default;

/** Absolute path of schemas/blat.schema.json (the same relative URL works from src/config/ and dist/config/). */
export const CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../../schemas/blat.schema.json', import.meta.url));

let validator: ValidateFunction | undefined;

/** The compiled validator for blat.yaml: reads and compiles the schema on first use, then reuses it. */
export function readConfigValidator(): ValidateFunction {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as object;
    // allErrors: report every problem in one run; verbose: keep parentSchema for "did you mean";
    // strictRequired off because `then: { not: { required: [host] } }` names a key declared beside it.
    validator = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false }).compile(schema);
  }
  return validator;
}
