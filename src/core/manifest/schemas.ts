// Loads every JSON Schema under schemas/ (the source of truth for the manifest).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The schemas directory: beside src/ when running from the sources (src/core/manifest/), or
 * beside dist/ when running the bundle (dist/sysmanifest.js).
 */
export const SCHEMA_DIR = [new URL('../../../schemas/', import.meta.url), new URL('../schemas/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((d) => existsSync(join(d, 'manifest.schema.json')))!;
export const SCHEMA_BASE = 'https://sysmanifest.dev/schemas/v1/';
export const MANIFEST_SCHEMA_ID = `${SCHEMA_BASE}manifest.schema.json`;

export interface SchemaFile {
  readonly file: string;
  readonly schema: Record<string, unknown> & { $id: string };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.schema.json') ? [join(dir, e.name)] : []))
    .sort();
}

export function loadSchemaFiles(dir: string = SCHEMA_DIR): SchemaFile[] {
  return walk(dir).map((file) => {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as SchemaFile['schema'];
    const expected = SCHEMA_BASE + relative(dir, file);
    if (schema.$id !== expected) throw new Error(`${file}: $id must be ${expected}, is ${String(schema.$id)}`);
    return { file, schema };
  });
}
