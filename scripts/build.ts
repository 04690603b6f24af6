// npm run build: the bundle users run (bootstrap/sysmanifest and bin/sysmanifest.js pick it
// when it is newer than the sources). Dependencies are bundled too: resolving and reading
// ~350 files of node_modules at every start cost more than all of capture's probes on a slow
// machine (a live USB, the TCG test guest). What only some commands need (ink + react for the
// progress view, systeminformation, simple-git, execa) is imported lazily and lands in chunks
// of its own, loaded on first use.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { sysmanifest: 'src/cli/entry.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Whitespace and syntax only: stack traces of a bug still name our functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // ink imports it only when DEV=true is set; it is not installed.
  external: ['react-devtools-core'],
  // CommonJS dependencies (commander, simple-git…) call require() for Node's own modules.
  banner: { js: "import { createRequire as __smRequire } from 'node:module'; const require = __smRequire(import.meta.url);" },
  logLevel: 'warning',
});
