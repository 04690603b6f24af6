// Validation must stay linear in the size of a manifest (issue 11): a synthetic manifest of
// N partitions (250 a disk, GPT) is validated (load → scalars → schema → rules) and compared
// with a plain YAML parse of the same text, at 10,000 and 40,000 partitions, interleaved.
import { parse } from 'yaml';
import { parseManifest } from '../../src/core/manifest/load.ts';

const PER_DISK = 250;

function guid(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `0FC63DAF-8483-4772-8E79-${h.toUpperCase()}`;
}

export function syntheticManifest(partitions: number): string {
  const disks = Math.ceil(partitions / PER_DISK);
  const out = ['apiVersion: sysmanifest/v1', 'host:', '  hostname: scale', 'storage:', '  disks:'];
  let n = 0;
  for (let d = 0; d < disks; d++) {
    const count = Math.min(PER_DISK, partitions - n);
    out.push(`    - id: disk${d}`, '      match:', `        serial: SCALE${d}`, `        sizeBytes: ${(2048 + PER_DISK * 2048 + 2048) * 512}`, '      logicalSectorSize: 512', '      physicalSectorSize: 512');
    out.push('      table:', '        type: gpt', `        id: ${guid(1_000_000 + d)}`, '        tableLength: 256', '      partitions:');
    for (let p = 1; p <= count; p++, n++) {
      out.push(`        - id: disk${d}p${p}`, `          number: ${p}`, `          start: ${2048 * p}`, '          size: 2048', '          type: 0FC63DAF-8483-4772-8E79-3D69D8477DE4', `          uuid: ${guid(n)}`, `          name: part${p}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export interface ScaleResult {
  readonly partitions: number;
  readonly bytes: number;
  readonly yaml_ms: number[];
  readonly validate_ms: number[];
}

export function measureScale(sizes: readonly number[], runs: number): ScaleResult[] {
  const texts = sizes.map((n) => syntheticManifest(n));
  const res = sizes.map((n, i): ScaleResult => ({ partitions: n, bytes: texts[i]!.length, yaml_ms: [], validate_ms: [] }));
  for (let r = 0; r < runs; r++) {
    texts.forEach((t, i) => {
      let t0 = performance.now();
      parse(t);
      res[i]!.yaml_ms.push(Math.round(performance.now() - t0));
      t0 = performance.now();
      parseManifest(t, `scale-${sizes[i]}.yaml`);
      res[i]!.validate_ms.push(Math.round(performance.now() - t0));
    });
  }
  return res;
}
