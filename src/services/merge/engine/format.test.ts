import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFor, isBinary } from './format.ts';

describe('formatFor', () => {
  const cases: Array<[string, string]> = [
    ['/home/alice/.config/Code/User/settings.json', 'json'],
    ['/home/alice/project/.vscode/settings.json', 'json'],
    ['tsconfig.jsonc', 'json'],
    ['work.code-workspace', 'json'],
    ['/etc/netplan/50-cloud-init.yaml', 'yaml'],
    ['docker-compose.yml', 'yaml'],
    ['/etc/greetd/config.toml', 'toml'],
    ['/home/alice/.gitconfig', 'gitconfig'],
    ['/etc/gitconfig', 'gitconfig'],
    ['/home/alice/src/x/.git/config', 'gitconfig'],
    ['/home/alice/.config/git/config', 'gitconfig'],
    ['/home/alice/.config/git/work.gitconfig', 'gitconfig'],
    ['/usr/share/applications/debian-xterm.desktop', 'ini'],
    ['/home/alice/.config/mimeapps.list', 'ini'],
    ['/etc/php/8.2/cli/php.ini', 'ini'],
    // .conf is too broad to guess: shell fragments, nginx blocks, TOML…
    ['/etc/containers/registries.conf.d/shortnames.conf', 'text'],
    ['/etc/ssh/sshd_config', 'text'],
    ['/home/alice/.bashrc', 'text'],
    ['/home/alice/.config/other/config', 'text'],
  ];
  for (const [path, want] of cases) it(`${path} → ${want}`, () => assert.equal(formatFor(path), want));
});

describe('isBinary', () => {
  const enc = new TextEncoder();
  it('UTF-8 text with umlauts and CRLF is text', () => assert.equal(isBinary(enc.encode('Name[de]=Größe\r\n')), false));
  it('an empty file is text', () => assert.equal(isBinary(new Uint8Array()), false));
  it('a NUL byte in the first 8000 bytes is binary', () => assert.equal(isBinary(enc.encode('abc\0def')), true));
  it('a NUL byte after 8000 bytes is not looked at, as in git', () => {
    const data = enc.encode(`${'a'.repeat(8000)}\0`);
    assert.equal(isBinary(data), false);
  });
  it('bytes that are not UTF-8 (latin-1 "ä") are binary', () => assert.equal(isBinary(Uint8Array.of(0x4e, 0x61, 0x6d, 0x65, 0x3d, 0xe4, 0x0a)), true));
});
