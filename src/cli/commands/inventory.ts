import type { Command } from 'commander';
import { hardwareInventory } from '../../core/runner/hardware.ts';
import { humanBytes } from '../../ui/tree.ts';
import type { Out } from './common.ts';

export function registerInventory(program: Command, out: Out): void {
  program
    .command('inventory')
    .description('a hardware inventory to read (systeminformation): informational only, never used by capture or rebuild')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => {
      const inv = await hardwareInventory();
      if (o.json) {
        out(`${JSON.stringify(inv, null, 2)}\n`);
        return;
      }
      out(`system   ${[inv.system.manufacturer, inv.system.model].filter(Boolean).join(' ')}${inv.system.virtual ? ' (virtual)' : ''}\n`);
      out(`firmware ${[inv.bios.vendor, inv.bios.version].filter(Boolean).join(' ')}\n`);
      out(`cpu      ${inv.cpu.brand}, ${inv.cpu.physicalCores} cores / ${inv.cpu.cores} threads\n`);
      out(`memory   ${humanBytes(inv.memoryBytes)}\n`);
      for (const d of inv.disks) out(`disk     ${d.device || d.name}  ${humanBytes(d.sizeBytes)}  ${[d.type, d.interface, d.vendor, d.name, d.serial && `serial ${d.serial}`].filter(Boolean).join('  ')}\n`);
      for (const n of inv.network) out(`network  ${n.iface}  ${n.mac}${n.speedMbps && n.speedMbps > 0 ? `  ${n.speedMbps} Mb/s` : ''}\n`);
    });
}
