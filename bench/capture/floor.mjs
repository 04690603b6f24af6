// capture --log-commands FILE (one JSON object per call: argv, start, ms, exit) → the floor:
// a plain sh script running the same read-only calls one after another. Plain JavaScript: it
// runs in the guest too.
import { readFileSync, writeFileSync } from 'node:fs';

const [log, out] = process.argv.slice(2);
const q = (a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).argv);
writeFileSync(out, ['#!/bin/sh', 'export LC_ALL=C', ...calls.map((c) => `${c.map(q).join(' ')} >/dev/null 2>&1`), ''].join('\n'), { mode: 0o755 });
console.log(`${calls.length} tool calls → ${out}`);
