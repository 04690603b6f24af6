// Pure: rpm's and dnf's answers → the `packages` section. gpg-pubkey "packages" are the rpm
// keyring's imported keys, not software: they are counted nowhere.
import { ParseError } from '../../../core/errors.ts';
import type { DnfRepo, Packages } from '../../../core/manifest/types.gen.ts';
import { bytewise } from '../apt/select.ts';
import type { DnfFacts } from './gather.ts';
import { parseRepoFile } from './parse.ts';

const KEYRING = 'gpg-pubkey';

export function captureDnf(facts: DnfFacts): Packages {
  const installed = new Set(facts.installed.filter((n) => n !== KEYRING));
  const dnfRepos: DnfRepo[] = facts.repoFiles
    .flatMap((f) => parseRepoFile(f.text, f.path).map((s) => ({ file: f.path, id: s.id, enabled: s.enabled, settings: s.settings })))
    .sort((a, b) => bytewise(a.file, b.file) || bytewise(a.id, b.id));
  if (!Array.isArray(facts.userInstalled)) {
    return { manager: 'dnf', dnfRepos, unsupported: { reason: (facts.userInstalled as { unsupported: string }).unsupported } };
  }
  const manual = [...new Set(facts.userInstalled as readonly string[])].filter((n) => n !== KEYRING).sort(bytewise);
  const stray = manual.filter((n) => !installed.has(n));
  if (stray.length > 0) throw new ParseError('dnf repoquery --userinstalled', `${stray.join(', ')} not in rpm -qa of ${facts.dbPath}: dnf read another rpm database`);
  return { manager: 'dnf', manual, autoCount: installed.size - manual.length, dnfRepos };
}
