import type { DownloadError, DownloadEvent, DownloadFailure } from '@rdl/core';
import { describeFailure, failureCode } from '@rdl/core';
import { escapeControls, redactUrls } from '@rdl/core/rules';
import { checkName } from './render/checkName.js';

/** The lines `--json` prints, one object each, in the shape the command documents. */
export type JsonLine =
  | {
      readonly event: 'start';
      /** The file's absolute path, when `-J` chose its name (a list's lines carry `id` and `url` instead). */
      readonly target?: string;
      readonly resumedFrom: number;
      readonly total: number | null;
    }
  | {
      readonly event: 'progress';
      readonly bytes: number;
      readonly total: number | null;
      readonly bytesPerSecond: number;
      readonly etaSeconds: number | null;
      /** Connections fetching now (R43). */
      readonly connections: number;
    }
  | { readonly event: 'restart'; readonly reason: string }
  | {
      readonly event: 'done';
      readonly bytes: number;
      readonly sha256: string | null;
      /** The checksums the file matched (R27): `sha256 (caller)`, `crc64ecma (x-oss-hash-crc64ecma)`… */
      readonly checks: readonly string[];
    }
  | { readonly event: 'error'; readonly code: string; readonly message: string };

/** The JSON line of a download event, `null` for the events `--json` does not print (state, retry, notice). */
export const jsonLineOf = (event: DownloadEvent): JsonLine | null => {
  switch (event.type) {
    case 'start':
      return { event: 'start', resumedFrom: event.resumedFrom, total: event.total };
    case 'progress': {
      const p = event.progress;
      return {
        event: 'progress',
        bytes: p.bytes,
        total: p.total,
        bytesPerSecond: Math.round(p.bytesPerSecond),
        etaSeconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds * 10) / 10,
        connections: p.connections,
      };
    }
    case 'restart':
      return { event: 'restart', reason: event.reason };
    case 'done':
      return {
        event: 'done',
        bytes: event.result.bytes,
        sha256: event.result.sha256,
        checks: event.result.checks.map(checkName),
      };
    case 'error':
      return errorLine(event.error);
    default:
      return null;
  }
};

export const errorLine = (error: Pick<DownloadError, 'code' | 'message'>): JsonLine => ({
  event: 'error',
  code: error.code,
  message: error.message,
});

export const failureLine = (failure: DownloadFailure): JsonLine => ({
  event: 'error',
  code: failureCode(failure),
  message: describeFailure(failure),
});

/**
 * One JSON line, the secrets of the URLs in it redacted (R37, `redactUrls`) and control characters escaped (R38): `JSON.stringify`
 * would leave C1 and bidi controls raw. Each string is redacted before it is quoted: over the JSON text, a value
 * running to the end of a query would take the `\` of an escaped `"` with it, and the `"` left would end the string
 * (a server's `bad line?sig=x"` made the line invalid JSON).
 */
export const formatJsonLine = (line: JsonLine): string =>
  `${escapeControls(JSON.stringify(line, (_key, value: unknown) => (typeof value === 'string' ? redactUrls(value) : value)))}\n`;
