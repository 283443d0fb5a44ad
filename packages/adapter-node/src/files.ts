/**
 * `@rdl/adapter-node/files`: the files a download keeps beside its target (R19, R31) and how a target is judged
 * before any request (R30, R32): for tools that show them, clean them or check a path first.
 */
export { checkpointPathOf } from './FileCheckpointStore.js';
export { lockPathOf, partPathOf } from './FsStorage.js';
export { isStreamTarget, type TargetKind, targetKindOf } from './targetKind.js';
export { maxTargetNameBytes, targetProblem } from './targetPath.js';
