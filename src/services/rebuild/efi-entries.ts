// `internal efi-entries`: the EFI boot entries of a rebuilt UEFI machine, made idempotently.
// An entry is the same entry when its label, its partition (GPT PARTUUID in HD(…)) and its
// loader file (case-insensitive: FAT) are the same: a rerun of the boot stage keeps the entry
// it made the first time and creates none; copies of it (an earlier tool's, or a crash between
// "created" and "journal told") are deleted. BootOrder then lists the wanted entries first, in
// the captured order, followed by the others as they were. A live system not booted in UEFI
// mode (no efivars) cannot write NVRAM: it says so, and the disk boots through the removable
// fallback loader the boot stage always writes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { MutatingRunner } from '../../core/runner/types.ts';
import { devicePathParts, parseEfibootmgr, type EfiEntryParsed } from '../../providers/system/boot/parse.ts';
import type { WantedEntry } from '../../providers/system/boot/stage.ts';

export type { WantedEntry };

export interface EfiEntriesSpec {
  readonly entries: readonly WantedEntry[];
  /** Where the ESP is mounted on the live system (TARGET/boot/efi): an entry whose loader is not there is not made. */
  readonly espDir?: string;
}

export function parseEfiEntriesSpec(text: string): EfiEntriesSpec {
  let spec: EfiEntriesSpec;
  try {
    spec = JSON.parse(text) as EfiEntriesSpec;
  } catch {
    throw new UserError('USAGE', 'internal efi-entries: stdin is not the JSON the boot stage writes');
  }
  const ok = Array.isArray(spec?.entries) && spec.entries.every((e) => typeof e.label === 'string' && e.label !== '' && !/[\0\n]/.test(e.label) && typeof e.file === 'string' && /^\\[\x20-\x7e]+$/.test(e.file) && typeof e.disk === 'string' && e.disk.startsWith('/dev/') && Number.isInteger(e.part) && e.part > 0 && /^[0-9a-f-]{36}$/.test(e.partUuid));
  if (spec.espDir !== undefined && (typeof spec.espDir !== 'string' || !spec.espDir.startsWith('/'))) throw new UserError('USAGE', 'internal efi-entries: stdin is not the JSON the boot stage writes');
  if (!ok) throw new UserError('USAGE', 'internal efi-entries: stdin is not the JSON the boot stage writes');
  return spec;
}

const same = (e: EfiEntryParsed, w: WantedEntry): boolean => {
  if (e.label !== w.label || e.devicePath === undefined) return false;
  const p = devicePathParts(e.devicePath);
  return p.partUuid === w.partUuid && p.file?.toLowerCase() === w.file.toLowerCase();
};

export interface EfiEntriesResult {
  readonly skipped?: string;
  readonly kept: string[];
  readonly created: string[];
  readonly removed: string[];
  readonly bootOrder: string[];
  /** Wanted entries whose loader file is not on the ESP (e.g. shimx64.efi without shim-signed): not made. */
  readonly missingLoaders?: string[];
}

export async function efiEntries(runner: MutatingRunner, spec: EfiEntriesSpec, efivars = '/sys/firmware/efi/efivars'): Promise<EfiEntriesResult> {
  if (!existsSync(efivars)) return { skipped: 'this live system was not booted in UEFI mode (no efivars): no NVRAM entry written; the disk boots through \\EFI\\BOOT\\BOOTX64.EFI', kept: [], created: [], removed: [], bootOrder: [] };
  const read = async (): Promise<ReturnType<typeof parseEfibootmgr>> => parseEfibootmgr((await runner.mutate(['efibootmgr', '-v'])).stdout);
  let vars = await read();
  const kept: string[] = [];
  const created: string[] = [];
  const removed: string[] = [];
  const numbers: string[] = [];
  const missingLoaders: string[] = [];
  for (const w of spec.entries) {
    if (spec.espDir !== undefined && !existsSync(join(spec.espDir, ...w.file.split('\\').filter(Boolean)))) {
      missingLoaders.push(`"${w.label}" ${w.file}`);
      continue;
    }
    const matching = vars.entries.filter((e) => same(e, w));
    if (matching.length === 0) {
      const before = new Set(vars.entries.map((e) => e.number));
      await runner.mutate(['efibootmgr', '-q', '-c', '-d', w.disk, '-p', String(w.part), '-L', w.label, '-l', w.file]);
      vars = await read();
      const made = vars.entries.find((e) => !before.has(e.number) && same(e, w));
      if (made === undefined) throw new UserError('COMMAND_FAILED', `efibootmgr -c reported success but no entry "${w.label}" for ${w.file} appeared`);
      created.push(made.number);
      numbers.push(made.number);
      continue;
    }
    const [first, ...copies] = matching;
    kept.push(first!.number);
    numbers.push(first!.number);
    for (const c of copies) {
      await runner.mutate(['efibootmgr', '-q', '-b', c.number, '-B']);
      removed.push(c.number);
    }
    if (copies.length) vars = await read();
  }
  const order = [...numbers, ...vars.bootOrder.filter((n) => !numbers.includes(n) && vars.entries.some((e) => e.number === n))];
  if (order.join(',') !== vars.bootOrder.join(',')) await runner.mutate(['efibootmgr', '-q', '-o', order.join(',')]);
  return { kept, created, removed, bootOrder: order, ...(missingLoaders.length ? { missingLoaders } : {}) };
}
