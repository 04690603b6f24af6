// flatpak: installed applications and runtimes (system and per-user installations) and their
// remotes. Not a provider of its own: flatpak sits beside the system's package manager, so
// each package manager's provider adds it to its section as packages.extra (the capture
// service merges system parts key by key, and a `packages` without a manager is no section).
import type { Packages } from '../../../core/manifest/types.gen.ts';
import type { SystemContext } from '../../types.ts';
import { captureFlatpak } from './capture.ts';
import { gatherFlatpak } from './gather.ts';

/** The packages section with `extra` added when flatpak refs are installed under ctx.root. */
export async function withPackagesExtra(ctx: Pick<SystemContext, 'runner' | 'root'>, packages: Packages): Promise<Packages> {
  const extra = captureFlatpak(await gatherFlatpak(ctx.runner, ctx.root));
  return Object.keys(extra).length === 0 ? packages : { ...packages, extra: { ...packages.extra, ...extra } };
}
