#!/usr/bin/env node
// npm's bin entry. Runs the bundle (dist/, `npm run build`) when it is newer than every
// source file and than package-lock.json — it starts in a fraction of the time — and the TypeScript sources otherwise
// (Node ≥ 24 strips the types itself).
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`sysmanifest: needs Node.js 24 or newer, this is ${process.version}\nhint: run bootstrap/sysmanifest or npx sysmanifest (both use the Node pinned in package.json)\n`);
  process.exit(1);
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let fresh = false;
try {
  fresh = statSync(`${root}dist/sysmanifest.js`).mtimeMs >= Math.max(newest(`${root}src`), statSync(`${root}package-lock.json`).mtimeMs);
} catch {
  // no bundle: run the sources
}
if (fresh) {
  await import('../dist/sysmanifest.js'); // the bundle's entry runs the command itself
} else {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
