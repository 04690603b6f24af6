// The merge engine's public surface: everything else in this folder is an implementation detail.
export { formatFor, isBinary, isMergeFormat, MERGE_FORMATS, type MergeFormat } from './format.ts';
export { mergeFile, type MergeInput, type MergeResult } from './merge.ts';
