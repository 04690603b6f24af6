// The manifest's schemas, kept in the manifest repository (REPO/schemas/) so that the first line
// of hosts/NAME/manifest.yaml — `# yaml-language-server: $schema=../../schemas/manifest.json` —
// resolves with no network, on any machine that has a clone of the repository.
//
// The schemas are copied byte for byte from the installed package. Their `$id`s are https URLs
// (https://sysmanifest.dev/schemas/v1/…, which does not resolve), and since yaml-language-server
// 1.20 (Feb 2026) relative `$ref`s in the schema an editor opens first are resolved against its
// `$id`: `storage/disks.schema.json` becomes an https URL, and 1.21+ only falls back to a file of
// the same *base name* beside it. So the editor does not open manifest.schema.json itself but
// ENTRY (schemas/manifest.json): a schema without `$id` whose one `$ref` is the file beside it;
// a schema reached through a `$ref` has its own `$ref`s resolved against its file, so the whole
// tree resolves to these copies. Checked offline (unshare -n) with yaml-language-server 1.19.2,
// 1.25.0 and 2.0.0: diagnostics and completion inside storage.disks[] from the copies alone.
//
// Written only when a file's bytes differ; files under schemas/ that the package no longer has are
// removed: the folder is sysmanifest's, like hosts/NAME/apt-keys/.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { SCHEMA_DIR } from '../manifest/schemas.ts';
import { writeFileAtomic } from './files.ts';

export const REPO_SCHEMAS = 'schemas';
/** The editors' entry point, relative to the repository. Not *.schema.json: no `$id`, not one of the package's schemas. */
export const ENTRY = `${REPO_SCHEMAS}/manifest.json`;

const ENTRY_TEXT = `${JSON.stringify(
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $comment:
      'Written by sysmanifest capture: the entry point for editors (yaml-language-server). It has no $id, so the relative $refs of the schemas beside it (copies of the installed package\'s schemas/) resolve to these files, with no network.',
    $ref: 'manifest.schema.json',
  },
  null,
  2,
)}\n`;

async function files(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** What REPO/schemas/ must hold: path (relative to the repository) → bytes. */
export async function repoSchemaFiles(packageSchemas: string = SCHEMA_DIR): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of (await files(packageSchemas)).filter((f) => f.endsWith('.json')).sort()) out.set(join(REPO_SCHEMAS, f), await readFile(join(packageSchemas, f)));
  out.set(ENTRY, Buffer.from(ENTRY_TEXT));
  return out;
}

/** Bring REPO/schemas/ up to date; returns the paths (relative to the repository) written or removed. */
export async function writeRepoSchemas(repo: string, packageSchemas?: string): Promise<string[]> {
  const want = await repoSchemaFiles(packageSchemas);
  const changed: string[] = [];
  for (const [rel, bytes] of want) {
    const path = join(repo, rel);
    const old = await readFile(path).catch(() => undefined);
    if (old && old.equals(bytes)) continue;
    await writeFileAtomic(path, bytes);
    changed.push(rel);
  }
  for (const f of await files(join(repo, REPO_SCHEMAS))) {
    const rel = join(REPO_SCHEMAS, f);
    if (want.has(rel)) continue;
    await rm(join(repo, rel), { force: true });
    changed.push(rel);
  }
  return changed;
}

/** The `$schema=` reference for a manifest written at `file` in `repo`: relative, so any clone resolves it. */
export function schemaRefFor(repo: string, file: string): string {
  return relative(join(file, '..'), join(repo, ENTRY));
}
