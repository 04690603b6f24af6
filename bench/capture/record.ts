// Runs the capture in-process once with a recording runner and writes the floor script:
// the same read-only tool calls as a plain shell script would make them.
//   record.ts OUT.sh [--all] [--disk DEV]…     (--all: the whole machine, not only storage)
import { writeFileSync } from 'node:fs';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { buildManifest } from '../../src/services/capture.ts';
import { floorScript, recording } from '../lib/recording.ts';

const [out, ...rest] = process.argv.slice(2);
if (!out) throw new Error('usage: record.ts OUT.sh [--all] [--disk DEV]…');
const disks = rest.filter((a, i) => rest[i - 1] === '--disk');
const { runner, calls } = recording(hostReadOnlyRunner());
await buildManifest(runner, { root: '/', disks, ...(rest.includes('--all') ? {} : { only: 'storage' as const }) });
writeFileSync(out, floorScript(calls), { mode: 0o755 });
console.log(`${calls.length} tool calls recorded into ${out}`);
