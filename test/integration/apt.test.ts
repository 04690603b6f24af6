// The apt provider against the real apt-mark, which it replaces:
// 1. on this live machine: manual === `apt-mark showmanual`, held === `apt-mark showhold`,
//    autoCount === `apt-mark showauto | wc -l`; both timed side by side;
// 2. on a root tree built from the debootstrapped chroot's real state files (fixtures), with
//    variants of extended_states, against apt-mark pointed at the same files with -o options
//    (no cache is written: Dir::Cache::pkgcache and srcpkgcache are empty).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostReadOnlyRunner } from '../../src/core/runner/exec.ts';
import { provider } from '../../src/providers/system/apt/index.ts';
import type { Packages } from '../../src/core/manifest/types.gen.ts';

const runner = hostReadOnlyRunner();
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

function unavailable(): string | undefined {
  if (!existsSync('/var/lib/dpkg/status')) return 'this machine has no dpkg database (/var/lib/dpkg/status): not a Debian-family system';
  if (!existsSync('/usr/bin/apt-mark')) return 'apt-mark is not installed: nothing to compare with';
  return undefined;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

test('live machine: manual, held and auto count equal apt-mark’s', { skip: unavailable() }, async (t) => {
  const [contrib, providerMs] = await timed(() => provider.contribute({ runner, root: '/' }));
  const [manualOut, aptMarkMs] = await timed(() => runner.run(['apt-mark', 'showmanual']));
  const held = await runner.run(['apt-mark', 'showhold']);
  const auto = await runner.run(['apt-mark', 'showauto']);

  const p = contrib.packages!;
  assert.deepEqual(p.manual, lines(manualOut.stdout));
  assert.deepEqual(p.held, lines(held.stdout));
  assert.equal(p.autoCount, lines(auto.stdout).length);
  t.diagnostic(`${p.manual.length} manual, ${p.autoCount} auto; apt provider (state files, sources, ${p.keys!.length} keys hashed) ${providerMs.toFixed(0)} ms, apt-mark showmanual ${aptMarkMs.toFixed(0)} ms`);
});

const FIX = new URL('../../src/providers/system/apt/__fixtures__/chroot/', import.meta.url);

function aptMarkArgs(root: string, extendedStates: string): string[] {
  const empty = join(root, 'empty');
  return [
    '-o', `Dir::State::status=${join(root, 'var/lib/dpkg/status')}`,
    '-o', `Dir::State::extended_states=${extendedStates}`,
    '-o', `Dir::State::Lists=${empty}`,
    '-o', 'Dir::Cache::pkgcache=',
    '-o', 'Dir::Cache::srcpkgcache=',
    '-o', 'Dir::Etc::SourceList=/dev/null',
    '-o', `Dir::Etc::SourceParts=${empty}`,
    '-o', 'Dir::Etc::Preferences=/dev/null',
    '-o', `Dir::Etc::PreferencesParts=${empty}`,
    // The chroot's dpkg arch file says amd64 + i386; apt would otherwise ask the host's dpkg.
    '-o', 'APT::Architecture=amd64',
    '-o', 'APT::Architectures::=amd64',
    '-o', 'APT::Architectures::=i386',
  ];
}

const VARIANTS: ReadonlyArray<[string, string | undefined]> = [
  ['the chroot’s real extended_states', undefined],
  ['no extended_states at all', ''],
  ['an entry without Architecture (applies to every arch of the name)', 'Package: zlib1g\nAuto-Installed: 1\n\nPackage: hello\nAuto-Installed: 1\n'],
  ['Architecture: all (means native), Auto-Installed 0, and an unknown package', 'Package: adduser\nArchitecture: all\nAuto-Installed: 1\n\nPackage: zlib1g\nArchitecture: i386\nAuto-Installed: 0\n\nPackage: not-a-package\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: libc6\nArchitecture: i386\nAuto-Installed: 1\n'],
];

test('--root tree of the chroot’s state: equal to apt-mark on the same files, for extended_states variants', { skip: unavailable() }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sm-apt-'));
  try {
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    mkdirSync(join(root, 'var/lib/apt'), { recursive: true });
    mkdirSync(join(root, 'empty'));
    copyFileSync(new URL('dpkg-status', FIX), join(root, 'var/lib/dpkg/status'));
    copyFileSync(new URL('dpkg-arch', FIX), join(root, 'var/lib/dpkg/arch'));
    const ext = join(root, 'var/lib/apt/extended_states');
    for (const [name, content] of VARIANTS) {
      await t.test(name, async () => {
        rmSync(ext, { force: true });
        if (content === undefined) copyFileSync(new URL('extended_states', FIX), ext);
        else if (content !== '') writeFileSync(ext, content);
        const args = aptMarkArgs(root, ext);

        const p = (await provider.contribute({ runner, root })).packages as Packages;

        assert.deepEqual(p.manual, lines((await runner.run(['apt-mark', 'showmanual', ...args])).stdout));
        assert.equal(p.autoCount, lines((await runner.run(['apt-mark', 'showauto', ...args])).stdout).length);
        assert.deepEqual(p.held, lines((await runner.run(['apt-mark', 'showhold', ...args])).stdout));
        assert.deepEqual(p.foreignArchitectures, ['i386']);
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
