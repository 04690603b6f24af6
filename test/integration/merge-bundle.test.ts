// The engine as the shipped bundle carries it: bundled with the project's esbuild settings, its
// parsers (jsonc-parser's UMD build once broke this at run time) must load and merge.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { COMMON } from '../../scripts/esbuild-common.ts';
import { triple } from '../../src/services/merge/engine/__fixtures__/triple.ts';
import { mergeFile as fromSources } from '../../src/services/merge/engine/merge.ts';

const out = mkdtempSync(join(tmpdir(), 'merge-bundle-'));
after(() => rmSync(out, { recursive: true, force: true }));

it('bundled with scripts/esbuild-common.ts, the engine merges JSONC, YAML and TOML as from the sources', async () => {
  await build({ ...COMMON, entryPoints: { engine: new URL('../../src/services/merge/engine/index.ts', import.meta.url).pathname }, outdir: out, logLevel: 'error' });
  const bundled = (await import(pathToFileURL(join(out, 'engine.js')).href)) as typeof import('../../src/services/merge/engine/index.ts');
  for (const [dir, name, format] of [['vscode', 'settings.json', 'json'], ['cloud-init', 'cloud.cfg', 'yaml'], ['greetd', 'config.toml', 'toml']] as const) {
    const t = { ...triple(dir, name), format };
    const r = bundled.mergeFile(t);
    assert.equal(r.method, 'structured', `${dir}: ${r.method}`);
    assert.deepEqual(r, fromSources(t));
  }
});
