// Runs the storage capture in-process once with a recording runner and writes the floor
// script: the same read-only tool calls as a plain shell script would make them.
import { writeFileSync } from 'node:fs';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { buildManifest } from '../../src/services/capture.ts';
import { floorScript, recording } from '../lib/recording.ts';

const [out, ...disks] = process.argv.slice(2);
if (!out) throw new Error('usage: record.ts OUT.sh [--disk DEV…]');
const { runner, calls } = recording(hostReadOnlyRunner());
await buildManifest(runner, { root: '/', only: 'storage', disks: disks.filter((d) => d !== '--disk') });
writeFileSync(out, floorScript(calls), { mode: 0o755 });
console.log(`${calls.length} tool calls recorded into ${out}`);
