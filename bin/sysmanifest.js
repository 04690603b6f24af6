#!/usr/bin/env node
// npm's bin entry. Runs the bundle (dist/, `npm run build`) when it is newer than every
// source file — it starts in a fraction of the time — and the TypeScript sources otherwise
// (Node ≥ 24 strips the types itself).
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let entry = '../src/cli/main.ts';
try {
  if (statSync(`${root}dist/sysmanifest.js`).mtimeMs >= newest(`${root}src`)) entry = '../dist/sysmanifest.js';
} catch {
  // no bundle: run the sources
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
