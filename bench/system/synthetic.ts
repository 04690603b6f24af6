// A synthetic Debian root: N installed packages (half auto-installed) and M files in /etc,
// some shipped as conffiles (unchanged or modified), some owned by no package. Only the
// state files capture reads are created: dpkg status, info/*.list and *.md5sums,
// extended_states, /etc. Used to show how capture's cost grows with the machine.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makeSyntheticRoot(root: string, packages: number, etcFiles: number): void {
  const info = join(root, 'var/lib/dpkg/info');
  mkdirSync(info, { recursive: true });
  mkdirSync(join(root, 'var/lib/apt'), { recursive: true });
  mkdirSync(join(root, 'etc/apt'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  writeFileSync(join(root, 'etc/hostname'), 'synthetic\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(root, 'var/lib/dpkg/arch'), 'amd64\n');
  const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
  const status: string[] = [];
  const ext: string[] = [];
  // Files 0..etcFiles-1: the first 60 % belong to packages (2/3 of them unchanged conffiles,
  // 1/3 modified), the rest are owned by nobody.
  const owned = Math.floor(etcFiles * 0.6);
  const perPackage = Math.max(1, Math.ceil(owned / packages));
  for (let p = 0; p < packages; p++) {
    const name = `pkg${p}`;
    const conf: string[] = [];
    const list = [`/usr/share/doc/${name}`, `/usr/share/doc/${name}/copyright`, `/usr/bin/${name}`];
    const sums = [`${md5(name)}  usr/bin/${name}`];
    for (let k = 0; k < perPackage; k++) {
      const f = p * perPackage + k;
      if (f >= owned) break;
      const rel = `etc/d${f % 40}/f${f}.conf`;
      const shipped = `shipped ${f}\n`;
      mkdirSync(join(root, `etc/d${f % 40}`), { recursive: true });
      writeFileSync(join(root, rel), f % 3 === 2 ? `modified ${f}\n` : shipped);
      conf.push(` /${rel} ${md5(shipped)}`);
      list.push(`/${rel}`);
    }
    status.push(
      [`Package: ${name}`, 'Status: install ok installed', 'Priority: optional', 'Architecture: amd64', 'Version: 1.0-1', ...(conf.length ? ['Conffiles:', ...conf] : []), 'Description: synthetic'].join('\n'),
    );
    if (p % 2 === 1) ext.push(`Package: ${name}\nArchitecture: amd64\nAuto-Installed: 1`);
    writeFileSync(join(info, `${name}.list`), `${list.join('\n')}\n`);
    writeFileSync(join(info, `${name}.md5sums`), `${sums.join('\n')}\n`);
  }
  for (let f = owned; f < etcFiles; f++) {
    mkdirSync(join(root, `etc/local${f % 20}`), { recursive: true });
    writeFileSync(join(root, `etc/local${f % 20}/u${f}`), `local ${f}\n`);
  }
  writeFileSync(join(root, 'var/lib/dpkg/status'), `${status.join('\n\n')}\n`);
  writeFileSync(join(root, 'var/lib/apt/extended_states'), `${ext.join('\n\n')}\n`);
}
