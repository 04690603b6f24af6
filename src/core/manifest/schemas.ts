// Loads every JSON Schema under schemas/ (the source of truth for the manifest).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../paths.ts';

export const SCHEMA_DIR = `${join(PROJECT_ROOT, 'schemas')}/`;
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
