// What both bundles share (scripts/build.ts: dist/ for a checkout; scripts/bundle.ts: the
// self-contained archive): Node 24 ESM with every dependency inside.
import type { BuildOptions } from 'esbuild';

export const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Whitespace and syntax only: stack traces of a bug still name our functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // ink imports it only when DEV=true is set; it is not installed.
  external: ['react-devtools-core'],
  // jsonc-parser's "main" is a UMD build whose require('./impl/format') esbuild cannot follow
  // (the bundle then fails at run time); its ES module build bundles cleanly.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  // CommonJS dependencies (commander, simple-git…) call require() for Node's own modules.
  banner: { js: "import { createRequire as __smRequire } from 'node:module'; const require = __smRequire(import.meta.url);" },
  logLevel: 'warning',
};
