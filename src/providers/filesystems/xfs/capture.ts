import type { Filesystem } from '../../../core/manifest/types.gen.ts';
import type { XfsFacts } from './gather.ts';
import { parseXfsDbLabelUuid, parseXfsInfo } from './parse.ts';

export function captureXfs(on: string, facts: XfsFacts): Filesystem {
  const xfs = parseXfsInfo(facts.info);
  const { label, uuid } = parseXfsDbLabelUuid(facts.labelUuid);
  const unsupported: string[] = [];
  if (!xfs.log.internal) unsupported.push('external log device (mkfs.xfs -l logdev=) is not captured');
  if (xfs.realtime.device !== 'none') unsupported.push('realtime device (mkfs.xfs -r rtdev=) is not captured');
  return {
    on,
    type: 'xfs',
    uuid,
    ...(label === undefined ? {} : { label }),
    xfs,
    ...(unsupported.length ? { unsupported: { reason: unsupported.join('; ') } } : {}),
  };
}
