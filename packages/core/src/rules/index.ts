/**
 * `@rdl/core/rules`: every decision of a download as a pure function (input in, decision out, property-tested),
 * and the vocabulary they speak. Each rule file names the resume rules (R1…) it implements.
 */
export * from '../model/checkpoint.js';
export * from '../model/checksum.js';
export * from '../model/decision.js';
export * from '../model/failure.js';
export * from '../model/options.js';
export * from '../model/url.js';
export * from './attempts.js';
export * from './backoff.js';
export * from './byteRanges.js';
export * from './checkpointCodec.js';
export * from './checkpointUrl.js';
export * from './checksums.js';
export * from './classifyResponse.js';
export * from './contentRange.js';
export * from './dataRequest.js';
export * from './finishedTarget.js';
export * from './planStart.js';
export * from './printable.js';
export * from './probe.js';
export * from './progress.js';
export * from './queueRecord.js';
export * from './queueSchedule.js';
export * from './redirect.js';
export * from './refreshFailure.js';
export * from './resolveOptions.js';
export * from './serverChecksums.js';
export * from './signedUrl.js';
export * from './unreadOptions.js';
export * from './urlCredentials.js';
export * from './validators.js';
