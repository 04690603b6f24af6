import { loadManifest } from '../core/manifest/load.ts';
import type { Manifest } from '../core/manifest/types.gen.ts';

export function validateFile(file: string): Promise<Manifest> {
  return loadManifest(file);
}
