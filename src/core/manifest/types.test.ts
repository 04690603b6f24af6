import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateManifestTypes, generateValidatorCode, TYPES_FILE, VALIDATOR_FILE } from './typegen.ts';

test('types.gen.ts is generated from the current schemas (run npm run gen:types)', async () => {
  const fresh = await generateManifestTypes();
  assert.equal(readFileSync(TYPES_FILE, 'utf8'), fresh);
});

test('validator.gen.js is compiled from the current schemas (run npm run gen:types)', () => {
  assert.equal(readFileSync(VALIDATOR_FILE, 'utf8'), generateValidatorCode());
});
