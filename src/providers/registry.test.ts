// Conformance: every registered provider folder has the shape of the others (STYLE.md).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { storageProviders, systemProviders } from './registry.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const folderOf = (area: string, name: string): string => {
  for (const a of area === 'system' ? ['system'] : ['storage', 'filesystems']) if (existsSync(`${here}${a}/${name}`)) return `${here}${a}/${name}`;
  return '';
};

const all = [...storageProviders, ...systemProviders];

test('provider names are unique', () => {
  assert.equal(new Set(all.map((p) => p.name)).size, all.length);
});

for (const p of all) {
  test(`provider ${p.area}/${p.name} has the standard shape`, () => {
    const dir = folderOf(p.area, p.name);
    assert.ok(dir, `folder for ${p.name}`);
    const files = readdirSync(dir);
    for (const f of ['index.ts', 'gather.ts', 'parse.ts', 'capture.ts']) assert.ok(files.includes(f), `${dir}/${f}`);
    assert.ok(files.some((f) => f.endsWith('.test.ts')), `${dir} has tests`);
    const fx = files.includes('__fixtures__') ? (readdirSync(`${dir}/__fixtures__`, { recursive: true }) as string[]) : [];
    if (fx.length > 0) {
      assert.ok(fx.some((f) => f.endsWith('README.md') || f.endsWith('.cmd')), `${dir}/__fixtures__ says where each fixture comes from (README.md or .cmd)`);
    }
    // Providers never spawn processes: only the runner does.
    for (const f of files.filter((x) => x.endsWith('.ts') && !x.endsWith('.test.ts'))) {
      const src = readFileSync(`${dir}/${f}`, 'utf8');
      assert.doesNotMatch(src, /from 'node:child_process'|from 'execa'/, `${dir}/${f} spawns processes outside the runner`);
    }
    for (const tool of p.tools) assert.match(tool, /^[a-z0-9._-]+$/);
  });
}
