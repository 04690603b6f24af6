// A hardware inventory for people to read (`sysmanifest inventory`), from systeminformation.
// It lives in src/core/runner because systeminformation runs commands of its own. It is
// never a source of facts for the manifest or a plan: those come from sysfs and blkid -p.

export interface HardwareInventory {
  readonly system: { manufacturer: string; model: string; virtual: boolean };
  readonly bios: { vendor: string; version: string };
  readonly cpu: { brand: string; cores: number; physicalCores: number };
  readonly memoryBytes: number;
  readonly disks: ReadonlyArray<{ device: string; type: string; name: string; vendor: string; sizeBytes: number; serial: string; interface: string }>;
  readonly network: ReadonlyArray<{ iface: string; mac: string; speedMbps: number | null }>;
}

export async function hardwareInventory(): Promise<HardwareInventory> {
  // Loaded here, not at start-up: only `sysmanifest inventory` needs it (and it is large).
  const si = (await import('systeminformation')).default;
  const [system, bios, cpu, mem, disks, net] = await Promise.all([si.system(), si.bios(), si.cpu(), si.mem(), si.diskLayout(), si.networkInterfaces()]);
  const nets = Array.isArray(net) ? net : [net];
  return {
    system: { manufacturer: system.manufacturer, model: system.model, virtual: system.virtual },
    bios: { vendor: bios.vendor, version: bios.version },
    cpu: { brand: `${cpu.manufacturer} ${cpu.brand}`.trim(), cores: cpu.cores, physicalCores: cpu.physicalCores },
    memoryBytes: mem.total,
    disks: disks.map((d) => ({ device: d.device, type: d.type, name: d.name, vendor: d.vendor, sizeBytes: d.size, serial: d.serialNum, interface: d.interfaceType })),
    network: nets.filter((n) => !n.internal).map((n) => ({ iface: n.iface, mac: n.mac, speedMbps: n.speed })),
  };
}
