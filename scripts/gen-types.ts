// Generates src/core/manifest/types.gen.ts from schemas/ (npm run gen:types).
// A unit test (types.test.ts) fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { generateManifestTypes, TYPES_FILE } from '../src/core/manifest/typegen.ts';

writeFileSync(TYPES_FILE, await generateManifestTypes());
console.log(`wrote ${TYPES_FILE}`);
