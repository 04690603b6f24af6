// TypeScript types from the JSON Schemas, with json-schema-to-typescript. Refs between the
// schema files are resolved from the schemas directory (never over the network).
import { compileFromFile } from 'json-schema-to-typescript';
import { fileURLToPath } from 'node:url';
import { SCHEMA_DIR } from './schemas.ts';

export const TYPES_FILE = fileURLToPath(new URL('./types.gen.ts', import.meta.url));

export async function generateManifestTypes(): Promise<string> {
  return compileFromFile(`${SCHEMA_DIR}manifest.schema.json`, {
    cwd: SCHEMA_DIR,
    bannerComment: '// Generated from schemas/ by `npm run gen:types`. Do not edit by hand.',
    additionalProperties: false,
    $refOptions: { resolve: { http: false } } as never,
    style: { singleQuote: true, printWidth: 120 },
  });
}
