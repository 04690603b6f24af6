// TypeScript types from the JSON Schemas, with json-schema-to-typescript. Refs between the
// schema files are resolved from the schemas directory (never over the network).
import { compileFromFile } from 'json-schema-to-typescript';
import { fileURLToPath } from 'node:url';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { MANIFEST_SCHEMA_ID, SCHEMA_DIR } from './schemas.ts';
import { manifestAjv } from './ajv.ts';

// ajv's standalone entry is CommonJS with a default export.
const standaloneCode = ((standaloneModule as unknown as { default?: unknown }).default ?? standaloneModule) as (ajv: unknown, refs: Record<string, string>) => string;

export const TYPES_FILE = fileURLToPath(new URL('./types.gen.ts', import.meta.url));
export const VALIDATOR_FILE = fileURLToPath(new URL('./validator.gen.js', import.meta.url));

/** ajv standalone code of the manifest validator (an ES module exporting validateManifest). */
export function generateValidatorCode(): string {
  const ajv = manifestAjv({ source: true });
  // ajv's ESM output still require()s its runtime helpers (ucs2length…); make them imports.
  const imports: string[] = [];
  const code = standaloneCode(ajv, { validateManifest: MANIFEST_SCHEMA_ID }).replace(/require\("([^"]+)"\)/g, (_, mod: string) => {
    const name = `runtime${imports.length}`;
    // A CommonJS module's namespace has module.exports as `default`: that is what require() gave.
    imports.push(`import * as ${name}_ns from ${JSON.stringify(mod.endsWith('.js') ? mod : `${mod}.js`)};\nconst ${name} = ${name}_ns.default;`);
    return name;
  });
  return `// Generated from schemas/ by \`npm run gen:types\` (ajv standalone). Do not edit by hand.\n${imports.join('\n')}\n${code.replace(/^"use strict";/, '')}\n`;
}

export async function generateManifestTypes(): Promise<string> {
  return compileFromFile(`${SCHEMA_DIR}manifest.schema.json`, {
    cwd: SCHEMA_DIR,
    bannerComment: '// Generated from schemas/ by `npm run gen:types`. Do not edit by hand.',
    additionalProperties: false,
    $refOptions: { resolve: { http: false } } as never,
    style: { singleQuote: true, printWidth: 120 },
  });
}
