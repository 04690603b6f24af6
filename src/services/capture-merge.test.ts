import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../core/errors.ts';
import type { Manifest } from '../core/manifest/types.gen.ts';
import { mergeSystem } from './capture.ts';

const base: Manifest = { apiVersion: 'sysmanifest/v1', host: { hostname: 'h' } } as Manifest;

test('mergeSystem: one package manager’s section is taken as it is', () => {
  const pacman = { manager: 'pacman' as const, manual: ['a'], autoCount: 0, held: [], foreign: [], pacmanRepos: [] };
  assert.deepEqual(mergeSystem(base, [{}, { packages: pacman }, {}]).packages, pacman);
});

test('mergeSystem: two package managers claiming one root is an error that names both', () => {
  const apt = { manager: 'apt' as const, autoCount: 0 };
  const dnf = { manager: 'dnf' as const, dnfRepos: [], unsupported: { reason: 'x' } };
  assert.throws(() => mergeSystem(base, [{ packages: apt }, { packages: dnf }]), (e: unknown) => e instanceof UserError && /apt and dnf/.test(e.message));
});
