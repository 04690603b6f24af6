// npm run bundle: the self-contained archive a live USB runs — no npm, no system Node, nothing
// but a POSIX shell, tar and gzip:
//   dist/sysmanifest-VERSION-linux-x86_64.tar.gz   (and -aarch64 when npm has that Node)
//     sysmanifest-VERSION/
//       sysmanifest          POSIX sh launcher: exec node/bin/node bin/sysmanifest.js "$@"
//       live.sh              the live-system helper (bootstrap/live.sh)
//       deps.sh              the tool lists live.sh checks (bootstrap/deps.sh)
//       rescue-vm.sh         the rescue guest `rehearse` boots (bootstrap/rescue-vm.sh)
//       rescue-kernel.sh     fetches its kernel (bootstrap/rescue-kernel.sh)
//       bin/sysmanifest.js   the whole program in one file (esbuild, no chunks)
//       node/bin/node        the Node runtime (npm's node-linux-* package of the pinned version)
//       schemas/             the manifest schemas (editors, validation messages)
//       package.json         name and version (how the program finds its own files)
//       README               what this is and how to start
// The rebuild's internal commands run `node/bin/node bin/sysmanifest.js internal …`: the same
// files (core/paths.ts finds the root by its package.json).
import { build } from 'esbuild';
import { COMMON } from './esbuild-common.ts';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// npm run bundle [-- --out DIR] [--arch x86_64|aarch64]…  (default: dist/, both where npm has the runtime)
const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string): string[] => args.flatMap((a, i) => (a === name && args[i + 1] !== undefined ? [args[i + 1]!] : []));
const outDir = opt('--out')[0] ?? join(root, 'dist');
const wanted = opt('--arch');
for (const a of wanted) if (a !== 'x86_64' && a !== 'aarch64') throw new Error(`--arch ${a}: x86_64 or aarch64`);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const nodeVersion = process.versions.node;
const RUNTIME_CACHE = process.env.SYSMANIFEST_RUNTIME_CACHE ?? '/var/tmp/sysmanifest-node-runtimes';

/** The Node runtime for an architecture: this one for x86_64, else npm's node-linux-<arch> of the same version (cached). */
function runtime(arch: 'x64' | 'arm64'): string | undefined {
  if (arch === 'x64' && process.arch === 'x64') return process.execPath;
  const dir = join(RUNTIME_CACHE, `node-linux-${arch}-${nodeVersion}`);
  const bin = join(dir, 'package/bin/node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  try {
    const file = execFileSync('npm', ['pack', '--silent', `node-linux-${arch}@${nodeVersion}`], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', file], { cwd: dir });
    rmSync(join(dir, file));
    return existsSync(bin) ? bin : undefined;
  } catch (e) {
    console.error(`bundle: no Node ${nodeVersion} for linux-${arch} from npm (${(e as Error).message.split('\n')[0]}): that archive is not made`);
    return undefined;
  }
}

const stage = mkdtempSync(join(tmpdir(), 'sysmanifest-bundle-'));
const name = `sysmanifest-${pkg.version}`;
const top = join(stage, name);
try {
  mkdirSync(join(top, 'bin'), { recursive: true });
  // One file, no chunks: ink's `import('react-devtools-core')` (only with DEV=true; the package
  // is not installed) would become a static import that fails at start, so it resolves to an
  // empty module here instead of staying external.
  await build({
    ...COMMON,
    absWorkingDir: root,
    entryPoints: ['src/cli/entry.ts'],
    outfile: join(top, 'bin/sysmanifest.js'),
    external: [],
    // main.ts runs itself when it is the main module (node src/cli/main.ts); inside one file it
    // would be, and the command would run twice: entry.ts alone starts it here.
    define: { 'import.meta.main': 'false' },
    plugins: [{
      name: 'no-devtools',
      setup(b) {
        b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'sysmanifest-empty' }));
        b.onLoad({ filter: /.*/, namespace: 'sysmanifest-empty' }, () => ({ contents: 'export default { connectToDevTools() {} };', loader: 'js' }));
      },
    }],
  });
  cpSync(join(root, 'schemas'), join(top, 'schemas'), { recursive: true });
  writeFileSync(join(top, 'package.json'), `${JSON.stringify({ name: 'sysmanifest', version: pkg.version, type: 'module', private: true }, null, 2)}\n`);
  writeFileSync(join(top, 'sysmanifest'), [
    '#!/bin/sh',
    '# sysmanifest, self-contained: its own Node runtime and the program in one file.',
    'here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 1',
    'exec "$here/node/bin/node" "$here/bin/sysmanifest.js" "$@"',
    '',
  ].join('\n'), { mode: 0o755 });
  copyFileSync(join(root, 'bootstrap/live.sh'), join(top, 'live.sh'));
  chmodSync(join(top, 'live.sh'), 0o755);
  copyFileSync(join(root, 'bootstrap/deps.sh'), join(top, 'deps.sh'));
  for (const f of ['rescue-vm.sh', 'rescue-kernel.sh']) {
    copyFileSync(join(root, 'bootstrap', f), join(top, f));
    chmodSync(join(top, f), 0o755);
  }
  writeFileSync(join(top, 'README'), [
    `sysmanifest ${pkg.version} — self-contained (Node ${nodeVersion} inside; needs only sh, tar and gzip)`,
    '',
    'On a live system, as root:',
    '  ./live.sh --repo URL|DIR --host NAME     check and install the tools, fetch the manifest, show the disks, rebuild',
    '  ./sysmanifest rehearse --medium DIR     the restore drill: rebuild onto image files in a throw-away qemu guest, boot them',
    '  ./sysmanifest --help                    the program itself',
    '',
  ].join('\n'));
  mkdirSync(outDir, { recursive: true });
  for (const [arch, label] of [['x64', 'x86_64'], ['arm64', 'aarch64']] as const) {
    if (wanted.length && !wanted.includes(label)) continue;
    const node = runtime(arch);
    if (!node) continue;
    rmSync(join(top, 'node'), { recursive: true, force: true });
    mkdirSync(join(top, 'node/bin'), { recursive: true });
    copyFileSync(node, join(top, 'node/bin/node'));
    chmodSync(join(top, 'node/bin/node'), 0o755);
    const out = join(outDir, `${name}-linux-${label}.tar.gz`);
    execFileSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-czf', out, '-C', stage, name]);
    console.log(`${out}: ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB (Node ${nodeVersion} linux-${arch})`);
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
