// Test helper: one fixture triple read from this folder (see README.md for where each file comes from).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('./', import.meta.url));

export interface Triple {
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
  /** The path of the ours file, for formatFor and for the CLI. */
  readonly path: string;
}

/** `triple('greetd', 'config.toml', 'ours-conflict')` reads greetd/{base,ours-conflict,theirs}.config.toml. */
export function triple(dir: string, name: string, ours = 'ours'): Triple {
  const read = (side: string): string => readFileSync(`${FIXTURES}${dir}/${side}.${name}`, 'utf8');
  return { base: read('base'), ours: read(ours), theirs: read('theirs'), path: `${FIXTURES}${dir}/${ours}.${name}` };
}

export const fixturePath = (dir: string, side: string, name: string): string => `${FIXTURES}${dir}/${side}.${name}`;

/** The same text with CRLF line endings. */
export const crlf = (s: string): string => s.replaceAll('\n', '\r\n');

/** Replace exactly one occurrence, or fail loudly: an expected text built from theirs must not silently miss. */
export function replaceOnce(s: string, from: string, to: string): string {
  const at = s.indexOf(from);
  if (at < 0 || s.indexOf(from, at + 1) >= 0) throw new Error(`replaceOnce: ${JSON.stringify(from)} found ${at < 0 ? 'nowhere' : 'more than once'}`);
  return s.slice(0, at) + to + s.slice(at + from.length);
}
