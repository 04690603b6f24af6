// Pure: DIR/mirror.sources, the deb822 sources (sources.list(5)) that point apt at the
// partial mirror, one stanza per suite (their components differ). Check-Valid-Until: no —
// the mirror is a snapshot, and the security suite's Release file expires a week after it
// was signed (Valid-Until), long before the day the rebuild needs it offline.
import type { MirrorSuite } from './sources.ts';

export function mirrorSourcesText(dir: string, suites: readonly MirrorSuite[], keyring: string): string {
  return suites
    .map((s) => [`Types: deb`, `URIs: file://${dir}`, `Suites: ${s.suite}`, `Components: ${s.components.join(' ')}`, `Signed-By: ${keyring}`, 'Check-Valid-Until: no', ''].join('\n'))
    .join('\n');
}
