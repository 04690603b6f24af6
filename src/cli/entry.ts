// The bundle's entry point (scripts/build.ts). It turns on Node's on-disk compile cache
// (in the temp dir, keyed by each file's contents) before loading the rest, so later starts
// skip parsing and compiling the bundle — most of the start-up on a slow CPU.
import module from 'node:module';

module.enableCompileCache?.(); // Node ≥ 22.1
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
