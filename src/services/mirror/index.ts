// The mirror service: `sysmanifest mirror MANIFEST --out DIR` (mirror.ts).
export { DEFAULT_KEYRING, mirrorManifest, type MirrorOptions, type MirrorResult } from './mirror.ts';
export { parseVariant, VARIANTS, type Variant } from './apt-request.ts';
export { MARKER, SOURCES_FILE } from './layout.ts';
