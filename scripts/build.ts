// npm run build: the bundle users run (bootstrap/sysmanifest and bin/sysmanifest.js pick it
// when it is newer than the sources). Dependencies are bundled too: resolving and reading
// ~350 files of node_modules at every start cost more than all of capture's probes on a slow
// machine (a live USB, the TCG test guest). What only some commands need (ink + react for the
// progress view, systeminformation, simple-git, execa) is imported lazily and lands in chunks
// of its own, loaded on first use.
import { build } from 'esbuild';
import { COMMON } from './esbuild-common.ts';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  ...COMMON,
  absWorkingDir: root,
  entryPoints: { sysmanifest: 'src/cli/entry.ts' },
  outdir: 'dist',
  splitting: true,
});
