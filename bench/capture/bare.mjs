// The least any Node program can spend on capture's calls: start Node, run the logged
// read-only calls 8 at a time (node:child_process, outputs collected and dropped), exit. No
// parsing, no manifest. Plain JavaScript: it runs in the guest too.
//   node bench/capture/bare.mjs CALLS.jsonl
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

const calls = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).argv);
const env = { ...process.env, LC_ALL: 'C' };
let next = 0;
const worker = async () => {
  while (next < calls.length) {
    const [program, ...args] = calls[next++];
    await new Promise((resolve) => execFile(program, args, { env, maxBuffer: 1 << 29 }, () => resolve()));
  }
};
await Promise.all(Array.from({ length: 8 }, worker));
