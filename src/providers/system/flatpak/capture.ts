// Pure: flatpak installations → packages.extra (flatpak refs and the remotes they come from).
import type { FlatpakRef, FlatpakRemote, PackagesExtra } from '../../../core/manifest/types.gen.ts';
import { bytewise } from '../apt/select.ts';
import type { Installation } from './gather.ts';
import { parseDeployOrigin, parseRepoConfig } from './parse.ts';

const byInstallationThen = (key: (x: { installation: string }) => string) => (a: { installation: string }, b: { installation: string }): number =>
  bytewise(a.installation, b.installation) || bytewise(key(a), key(b));

export function captureFlatpak(installations: readonly Installation[]): PackagesExtra {
  const refs: FlatpakRef[] = [];
  const remotes: FlatpakRemote[] = [];
  for (const inst of installations) {
    for (const d of inst.deployed) {
      const ref = `${d.kind}/${d.id}/${d.arch}/${d.branch}`;
      refs.push({ installation: inst.name, ref, origin: parseDeployOrigin(d.deploy, `${inst.path}/${ref}/active/deploy`) });
    }
    if (inst.deployed.length === 0) continue;
    for (const r of parseRepoConfig(inst.repoConfig ?? '', `${inst.path}/repo/config`)) {
      remotes.push({ installation: inst.name, name: r.name, url: r.url, ...(r.gpgVerify === undefined ? {} : { gpgVerify: r.gpgVerify }) });
    }
  }
  refs.sort(byInstallationThen((x) => (x as FlatpakRef).ref));
  remotes.sort(byInstallationThen((x) => (x as FlatpakRemote).name));
  return refs.length === 0 ? {} : { flatpak: refs, flatpakRemotes: remotes };
}
