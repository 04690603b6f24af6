// Generates src/core/manifest/types.gen.ts and validator.gen.js from schemas/ (npm run gen:types).
// A unit test (types.test.ts) fails when the committed files are out of date.
import { writeFileSync } from 'node:fs';
import { generateManifestTypes, generateValidatorCode, TYPES_FILE, VALIDATOR_FILE } from '../src/core/manifest/typegen.ts';

writeFileSync(TYPES_FILE, await generateManifestTypes());
writeFileSync(VALIDATOR_FILE, generateValidatorCode());
console.log(`wrote ${TYPES_FILE} and ${VALIDATOR_FILE}`);
