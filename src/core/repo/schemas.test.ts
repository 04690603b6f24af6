import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { SCHEMA_DIR } from '../manifest/schemas.ts';
import { ENTRY, repoSchemaFiles, schemaRefFor, writeRepoSchemas } from './schemas.ts';

const dir = mkdtempSync(join(tmpdir(), 'sysmanifest-schemas-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Every file and JSON pointer reached from `start` by following `$ref`s against the *file* that
 * holds them (what yaml-language-server does for schemas reached through a `$ref`, and for all
 * schemas up to 1.19): none may point outside `root` or at something missing.
 */
function walkRefs(start: string, root: string): { files: Set<string>; problems: string[] } {
  const files = new Set<string>();
  const problems: string[] = [];
  const todo = [start];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') {
          const [path, pointer = ''] = v.split('#');
          if (/^[a-z]+:/.test(path!)) problems.push(`${file}: $ref ${v} is a URL`);
          const target = path ? resolve(dirname(file), path) : file;
          if (!target.startsWith(`${root}/`)) problems.push(`${file}: $ref ${v} leaves ${root}`);
          else if (!existsSync(target)) problems.push(`${file}: $ref ${v}: ${target} does not exist`);
          else {
            let at: unknown = JSON.parse(readFileSync(target, 'utf8'));
            for (const seg of pointer.split('/').filter(Boolean)) at = (at as Record<string, unknown> | undefined)?.[decodeURIComponent(seg)];
            if (at === undefined) problems.push(`${file}: $ref ${v}: no ${pointer} in ${target}`);
            todo.push(target);
          }
        } else visit(v);
      }
    };
    visit(doc);
  }
  return { files, problems };
}

test('the first line of hosts/NAME/manifest.yaml resolves, offline, to the copies in the repository', async () => {
  const repo = join(dir, 'repo');
  await writeRepoSchemas(repo);
  const manifest = join(repo, 'hosts', 'laptop', 'manifest.yaml');
  const ref = schemaRefFor(repo, manifest);
  assert.equal(ref, '../../schemas/manifest.json');
  const entry = resolve(dirname(manifest), ref);
  assert.ok(statSync(entry).isFile(), `${entry} exists`);
  assert.equal((JSON.parse(readFileSync(entry, 'utf8')) as { $id?: string }).$id, undefined, 'the entry has no $id (its $ref resolves against its file)');
  const { files, problems } = walkRefs(entry, join(repo, 'schemas'));
  assert.deepEqual(problems, []);
  // Every schema of the package is reached: nothing of the manifest is left to the network.
  assert.equal(files.size, (await repoSchemaFiles()).size);
});

test('writeRepoSchemas: the package schemas byte for byte, written only when changed, stale files removed', async () => {
  const repo = join(dir, 'repo2');
  const first = await writeRepoSchemas(repo);
  assert.ok(first.includes('schemas/manifest.schema.json') && first.includes('schemas/storage/disks.schema.json') && first.includes(ENTRY));
  assert.deepEqual(readFileSync(join(repo, 'schemas/storage/disks.schema.json')), readFileSync(join(SCHEMA_DIR, 'storage/disks.schema.json')));
  const mtime = statSync(join(repo, 'schemas/host.schema.json')).mtimeMs;
  assert.deepEqual(await writeRepoSchemas(repo), [], 'unchanged: nothing written');
  assert.equal(statSync(join(repo, 'schemas/host.schema.json')).mtimeMs, mtime);
  writeFileSync(join(repo, 'schemas/host.schema.json'), '{}');
  writeFileSync(join(repo, 'schemas/old.schema.json'), '{}');
  assert.deepEqual((await writeRepoSchemas(repo)).sort(), ['schemas/host.schema.json', 'schemas/old.schema.json']);
  assert.equal(existsSync(join(repo, 'schemas/old.schema.json')), false);
  assert.deepEqual(readFileSync(join(repo, 'schemas/host.schema.json')), readFileSync(join(SCHEMA_DIR, 'host.schema.json')));
});

test('the examples in manifests/ name the package schema by a path that exists', () => {
  const examples = resolve(SCHEMA_DIR, '../manifests');
  for (const name of ['btrfs-desktop.yaml', 'laptop-luks-lvm.yaml', 'server-md-raid1.yaml']) {
    const first = readFileSync(join(examples, name), 'utf8').split('\n')[0]!;
    const m = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
    assert.ok(m, `${name}: ${first}`);
    assert.ok(statSync(resolve(examples, m[1]!)).isFile(), `${name}: ${m[1]} resolves`);
  }
});
