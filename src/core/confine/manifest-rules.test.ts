import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { Manifest } from '../manifest/types.gen.ts';
import { manifestPathRules } from './manifest-rules.ts';

const examples = new URL('../../../manifests/', import.meta.url);
const load = (name: string): Manifest => parse(readFileSync(new URL(name, examples), 'utf8')) as Manifest;

test('every example manifest passes the path rules', () => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length > 0);
  for (const f of files) assert.deepEqual(manifestPathRules(load(f)), [], f);
});

test('each path-like field is checked and named by its manifest path', () => {
  const m = {
    apiVersion: 'sysmanifest/v1',
    host: { hostname: 'h' },
    storage: {
      disks: [{ id: 'disk0', path: '/dev/../vda' }],
      mdraid: [{ id: 'md-x', name: '../vda', homehost: 'a/b' }],
      luks: [{ id: 'luks0', mapping: '../vda' }],
      filesystems: [{ on: 'x', btrfs: { subvolumes: [{ path: '../x', snapshotOf: '/abs' }], defaultSubvolume: 'a/../..' } }],
    },
    mounts: {
      fstab: [{ file: '/srv/../../../x' }, { file: 'none' }, { file: 'swap' }, { file: '/ok' }],
      crypttab: [{ name: '..', keyfile: '/k\nx' }],
    },
    packages: { sources: [{ file: '/etc//apt' }], pins: [{ file: 'rel' }], repos: [{ file: '/etc/yum.repos.d/x.repo' }], keys: [{ path: '/etc/shadow', file: 'apt-keys/../../../x' }, { path: '/k', file: 'other/k' }] },
    boot: { systemdBoot: { loaderConf: '/boot/./loader' }, initramfs: { confFiles: ['../x'] } },
    repos: {
      etc: { path: '/etc/', gitDir: '/etc/.git', restoreFromElsewhere: [{ path: '/etc/\u001b[2J' }], trackedSecrets: ['/etc/../shadow'] },
      dotfiles: [{ home: '/home/a', gitDir: '/home/a/../../root/.git', workTree: 'home' }],
    },
    datasets: [{ name: '../x', path: '/data/../..' }],
  } as unknown as Manifest;
  const where = manifestPathRules(m).map((i) => i.path.join('.'));
  assert.deepEqual(where, [
    'storage.disks.0.path',
    'storage.mdraid.0.name',
    'storage.mdraid.0.homehost',
    'storage.luks.0.mapping',
    'storage.filesystems.0.btrfs.subvolumes.0.path',
    'storage.filesystems.0.btrfs.subvolumes.0.snapshotOf',
    'storage.filesystems.0.btrfs.defaultSubvolume',
    'mounts.fstab.0.file',
    'mounts.crypttab.0.name',
    'mounts.crypttab.0.keyfile',
    'packages.sources.0.file',
    'packages.pins.0.file',
    'packages.keys.0.file',
    'packages.keys.1.file',
    'boot.systemdBoot.loaderConf',
    'boot.initramfs.confFiles.0',
    'repos.etc.path',
    'repos.etc.restoreFromElsewhere.0.path',
    'repos.etc.trackedSecrets.0',
    'repos.dotfiles.0.gitDir',
    'repos.dotfiles.0.workTree',
    'datasets.0.path',
    'datasets.0.name',
  ]);
  assert.match(manifestPathRules(m)[7]!.message, /^mount point .*"\.\." component/);
});

test('odd shapes never crash the rule', () => {
  for (const odd of [{}, { storage: null }, { storage: { disks: [null, 3] } }, { mounts: { fstab: 'x' } }, { datasets: [{ name: 5, path: {} }] }]) {
    assert.doesNotThrow(() => manifestPathRules(odd as unknown as Manifest));
  }
});
