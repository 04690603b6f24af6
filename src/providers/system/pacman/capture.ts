// Pure: pacman's facts → the `packages` section. The sets are those pacman's queries print:
// -Qqe (explicit: reason 0), -Qqd (dependencies: reason 1), -Qqm (foreign: no sync database
// of a configured repository has a package of that name — alpm_db_get_pkg by name, as
// pacman's filter() does for -m). Names are sorted bytewise, as alpm sorts its package cache.
import type { Packages, PacmanRepo } from '../../../core/manifest/types.gen.ts';
import { bytewise } from '../apt/select.ts';
import { parseLocalDesc, parsePacmanConf, syncDbPackageNames } from './parse.ts';
import type { PacmanFacts } from './gather.ts';

export interface PacmanSets {
  readonly explicit: string[];
  readonly dependencies: string[];
  readonly foreign: string[];
}

export function pacmanSets(facts: PacmanFacts): PacmanSets {
  const local = [...facts.local].map(([dir, desc]) => parseLocalDesc(desc, `local/${dir}/desc`));
  const inRepos = new Set<string>();
  for (const [repo, bytes] of facts.sync) for (const n of syncDbPackageNames(bytes, `sync/${repo}.db`)) inRepos.add(n);
  const names = (xs: typeof local): string[] => xs.map((p) => p.name).sort(bytewise);
  return {
    explicit: names(local.filter((p) => p.reason === 0)),
    dependencies: names(local.filter((p) => p.reason === 1)),
    foreign: names(local.filter((p) => !inRepos.has(p.name))),
  };
}

export function capturePacman(facts: PacmanFacts): Packages {
  const conf = parsePacmanConf(facts.conf);
  const sets = pacmanSets(facts);
  const pacmanRepos: PacmanRepo[] = conf.repos.map((r) => ({
    name: r.name,
    servers: r.servers,
    includes: r.includes,
    ...(r.sigLevel ? { sigLevel: r.sigLevel } : {}),
    ...(r.usage ? { usage: r.usage } : {}),
  }));
  return {
    manager: 'pacman',
    manual: sets.explicit,
    autoCount: sets.dependencies.length,
    held: [...new Set(conf.ignorePkg)].sort(bytewise),
    foreign: sets.foreign,
    pacmanRepos,
  };
}
