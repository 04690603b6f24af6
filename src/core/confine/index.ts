// core/confine — the ONE place where a path from a manifest or from a --root tree meets the
// file system. Manifests and --root trees are hostile input: a manifest may have been edited
// by hand, merged, or pulled from a compromised machine; a --root tree may hold symlinks that
// point anywhere. This module guarantees:
//
//   1. Manifest paths are canonical. A path accepted from a manifest is absolute (or, for
//      btrfs subvolumes and repository side files, relative), normalised — no empty, "." or
//      ".." component, no trailing "/" — free of NUL and control characters (C0, DEL, C1),
//      at most PATH_MAX-1 bytes with components of at most NAME_MAX bytes
//      (absolutePathProblem, relativePathProblem, checkManifestPath; manifestPathRules checks
//      every such field of a manifest and names its manifest path).
//   2. A manifest path meets a root (--target, --root, a mount point of the rebuild) only
//      through joinInside(root, p), which checks p, joins, and proves the result is root or
//      below it; otherwise a UserError naming the manifest path. childInside(dir, name) does
//      the same for a single file name.
//   3. Device names from a manifest are one component by their tool's rules:
//      deviceNameInside('/dev/mapper', name, 'dm') (no "/", not "."/".."/"control", ≤ 127
//      bytes, no control characters) and deviceNameInside('/dev/md', name, 'md') (mdadm:
//      ≤ 32, [A-Za-z0-9._-], no leading "." or "-"). /dev/mapper/../vda cannot be formed.
//   4. Reads of a --root tree resolve every component inside the root, with the semantics of
//      openat2(RESOLVE_IN_ROOT): lstat per component, absolute symlink targets start again
//      at the root, ".." never climbs above it, at most 40 symlinks (then a UserError, as
//      ELOOP). A FIFO, socket or device is never read. (RootFs, resolveInRoot, readInRoot,
//      and confinedRunner: the runner every system provider reads a --root tree through.)
//   5. Files written into the manifest repository from a captured tree go only below
//      hosts/NAME/<managed>/ (the relative path is checked before the first write), with the
//      permission bits they had in the tree (sideFilePath, writeSideFiles).
//
// Limits: Node has no openat2, so resolution and open are two steps; a tree that is being
// changed *during* a capture could swap a directory for a symlink in between (the final
// component is opened with O_NOFOLLOW by readInRoot). Paths a provider joins lexically before
// asking (join(R, "/home/../x")) are judged as joined: inside R they are resolved there,
// outside R they do not exist.
export { DM_NAME_MAX, MD_NAME_MAX, deviceNameInside, dmNameProblem, mdHomehostProblem, mdNameProblem, type DeviceNameKind } from './device-name.ts';
export { MAX_READ, MAX_SYMLINKS, RootFs, hostProbe, readInRoot, resolveInRoot, toolPathInRoot, type FsProbe, type InRootFile, type PathStat, type Resolved } from './in-root.ts';
export { NAME_MAX, PATH_MAX, absolutePathProblem, checkManifestPath, checkRelativePath, childInside, componentProblem, hasControl, joinInside, relativePathProblem } from './manifest-path.ts';
export { manifestPathRules, type PathIssue } from './manifest-rules.ts';
export { sideFilePath, writeSideFiles, type SideFile } from './repo-files.ts';
export { confinedRunner } from './runner.ts';
